/**
 * Turns failures of talking to Icinga2 into one-line messages an operator can act on. undici
 * passes socket and TLS errors through as they are, but wraps some (`cause`), and a host name
 * with several addresses fails with an AggregateError (`errors`): the whole chain is searched.
 */

export type FailureKind = 'auth' | 'tls' | 'refused' | 'dns' | 'timeout' | 'network' | 'http' | 'other';

export interface Failure {
  kind: FailureKind;
  message: string;
}

/** Which credentials were used, so a 401 points at the right settings. */
export type AuthMethod = 'password' | 'certificate';

/** What the messages name as the thing to check: the config keys and files the connection uses. */
export interface FailureHints {
  auth: AuthMethod;
  /** The password came from this file (icinga.password_file). */
  passwordFile?: string;
  /** Icinga2's certificate is checked against this file (icinga.ca_file). */
  caFile?: string;
}

/** A non-2xx answer; `body` is the response text, as much of it as was read. */
export class IcingaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Icinga2 answered HTTP ${status}: ${bodyExcerpt(body)}`);
    this.name = 'IcingaHttpError';
  }
}

/** Our own limit on one API request ran out (undici's own timeouts have UND_ERR_*_TIMEOUT codes). */
export class IcingaTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer from Icinga2 within ${timeoutMs} ms`);
    this.name = 'IcingaTimeoutError';
  }
}

/** OpenSSL's certificate verification failures, as Node reports them in `code`. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
]);
const EXPIRY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const HOST_NAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

interface ErrorLike {
  message: string;
  code?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
}

export function describeFailure(error: unknown, hints: FailureHints = { auth: 'password' }): Failure {
  const chain = errorChain(error);
  const http = chain.find((e): e is IcingaHttpError => e instanceof IcingaHttpError);
  if (http) return describeHttpFailure(http.status, http.body, hints);
  const timeout = chain.find((e) => e instanceof IcingaTimeoutError);
  if (timeout) return { kind: 'timeout', message: timeout.message };

  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CERTIFICATE_CODES.has(code)) {
      const advice =
        hints.caFile === undefined
          ? 'set icinga.ca_file'
          : `Icinga2's certificate chain does not lead to the CA in icinga.ca_file ${hints.caFile}: is it the CA of this Icinga2 (/var/lib/icinga2/certs/ca.crt on the master)?`;
      return { kind: 'tls', message: `certificate not trusted: ${advice} (${e.message})` };
    }
    if (EXPIRY_CODES.has(code)) {
      return { kind: 'tls', message: `certificate not trusted: Icinga2's certificate is outside its validity period (${e.message})` };
    }
    if (HOST_NAME_CODES.has(code)) {
      return { kind: 'tls', message: `certificate not trusted: it is not valid for the host in icinga.url (${e.message})` };
    }
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) {
      return { kind: 'tls', message: `TLS handshake failed (${e.message})` };
    }
    if (code === 'ECONNREFUSED') {
      return { kind: 'refused', message: `connection refused by ${endpoint(e)}: is Icinga2 running, and is icinga.url right?` };
    }
    if (DNS_CODES.has(code)) {
      const host = typeof e.hostname === 'string' ? e.hostname : 'the host in icinga.url';
      return { kind: 'dns', message: `cannot resolve ${host} (${code}): check icinga.url` };
    }
    if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `timed out talking to Icinga2 (${e.message})` };
    if (NETWORK_CODES.has(code)) return { kind: 'network', message: `connection to Icinga2 failed (${e.message})` };
  }
  const first = chain[0];
  return { kind: 'other', message: first ? first.message : String(error) };
}

export function describeHttpFailure(status: number, body: string, hints: FailureHints = { auth: 'password' }): Failure {
  if (status === 401) {
    const settings =
      hints.auth === 'password'
        ? `icinga.username and ${hints.passwordFile === undefined ? 'icinga.password' : `the password in icinga.password_file ${hints.passwordFile}`}`
        : "icinga.cert_file and icinga.key_file, and that an ApiUser's client_cn is the certificate's CN";
    return { kind: 'auth', message: `authentication failed (HTTP 401): check ${settings}` };
  }
  // Icinga2 answers 404, never 403, when the API user lacks the permission for a URL.
  const hint = status === 404 ? ' (Icinga2 also answers 404 when the API user lacks the permission)' : '';
  return { kind: 'http', message: `Icinga2 answered HTTP ${status}: ${bodyExcerpt(body)}${hint}` };
}

/**
 * A short, single-line rendering of an error body: Icinga2's JSON errors carry the reason in
 * `status` (`{"error":404,"status":"No objects found."}`); its 401 and 400 bodies are HTML.
 */
export function bodyExcerpt(body: string, maxChars = 200): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { status?: unknown }).status === 'string') {
      text = (parsed as { status: string }).status;
    }
  } catch {
    text = body.replace(/<[^>]*>/g, ' ');
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (text === '') return '(empty body)';
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

function errorChain(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 5 || !(value instanceof Error) || found.includes(value)) return;
    found.push(value);
    if (value instanceof AggregateError) for (const inner of value.errors) visit(inner, depth + 1);
    visit(value.cause, depth + 1);
  };
  visit(error, 0);
  return found;
}

function endpoint(error: ErrorLike): string {
  if (typeof error.address !== 'string') return 'Icinga2';
  return typeof error.port === 'number' ? `${error.address}:${error.port}` : error.address;
}
