import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { pemProblem } from '../util/pem.js';
import { IcingaTimeoutError, type FailureHints } from './errors.js';

/**
 * How the relay talks to the Icinga2 API: one undici Agent with the TLS trust and credentials,
 * and the headers every request needs. Certificate verification cannot be turned off.
 */

export type IcingaAuth =
  | { method: 'password'; username: string; password: string; passwordFile?: string }
  /** An ApiUser whose `client_cn` is the certificate's CN. */
  | { method: 'certificate'; certPem: string; keyPem: string };

export interface ConnectionSettings {
  /** PEM contents of the CA that signed Icinga2's certificate. Without it, the system CAs are used. */
  caPem?: string;
  auth: IcingaAuth;
  /** Limit for a whole API request, and for the response headers of the event stream. */
  requestTimeoutMs?: number;
  /** Idle time before TCP keepalive probes start (see the note in the constructor). */
  tcpKeepAliveDelayMs?: number;
  /**
   * Where caPem and the client certificate and key came from: Icinga2 renews its CA and
   * certificates, and refreshTls() reads these again (before each reconnect).
   */
  files?: { ca?: string; cert?: string; key?: string };
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_TCP_KEEPALIVE_DELAY_MS = 30_000;

export interface ApiResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON (Icinga2's 401 page is HTML). */
  body: unknown;
  text: string;
}

/** How an API request ended: the status class of Icinga2's answer, or no answer (timeout, connection refused). */
export type ApiRequestResult = '2xx' | '3xx' | '4xx' | '5xx' | 'no-answer';

export interface RequestSettings {
  body?: unknown;
  signal?: AbortSignal;
  /** For the event stream: no limit on the time between body bytes, it may be idle for hours. */
  streaming?: boolean;
}

export class IcingaConnection {
  /**
   * Every configured endpoint (an HA pair of masters), in order. Requests go to the current one;
   * the event stream moves on with failover(), and other users follow it with use().
   */
  readonly urls: readonly URL[];
  private current = 0;
  /** What failure messages name: the keys and files of this connection's settings. */
  readonly failureHints: FailureHints;
  private dispatcher: Agent;
  private readonly headers: Record<string, string>;
  private readonly requestTimeoutMs: number;
  private readonly clock: Clock;
  private readonly tcpKeepAliveDelayMs: number;
  private readonly files: NonNullable<ConnectionSettings['files']>;
  /** The TLS material in use: CA, and the client certificate and key for certificate auth. */
  private tls: Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>;
  /** Told how long each apiRequest took and how it ended (the stream's long request is not one): for the metrics. */
  onApiRequest?: (seconds: number, result: ApiRequestResult) => void;

  constructor(url: string | readonly string[], settings: ConnectionSettings, clock: Clock = systemClock) {
    const urls = typeof url === 'string' ? [url] : url;
    if (urls.length === 0) throw new Error('no Icinga2 API URL given');
    this.urls = urls.map((text) => {
      const parsed = new URL(text);
      if (parsed.protocol !== 'https:') throw new Error(`Icinga2 API URL must start with https://, got ${text}`);
      return parsed;
    });
    this.failureHints = {
      auth: settings.auth.method,
      passwordFile: settings.auth.method === 'password' ? settings.auth.passwordFile : undefined,
      caFile: settings.files?.ca,
    };
    this.requestTimeoutMs = settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.clock = clock;

    this.files = settings.files ?? {};
    this.tcpKeepAliveDelayMs = settings.tcpKeepAliveDelayMs ?? DEFAULT_TCP_KEEPALIVE_DELAY_MS;
    this.tls =
      settings.auth.method === 'certificate'
        ? { ca: settings.caPem, cert: settings.auth.certPem, key: settings.auth.keyPem }
        : { ca: settings.caPem };
    checkTls(this.tls);

    this.headers = { accept: 'application/json' };
    if (settings.auth.method === 'password') {
      const credentials = Buffer.from(`${settings.auth.username}:${settings.auth.password}`).toString('base64');
      this.headers.authorization = `Basic ${credentials}`;
    }

    this.dispatcher = this.makeAgent();
  }

  private makeAgent(): Agent {
    return new Agent({
      connect: {
        ...this.tls,
        // Node 20.20 sets TCP_KEEPIDLE to this delay, TCP_KEEPINTVL to 1 s and TCP_KEEPCNT to 10
        // (measured with strace), so a silently dead peer is noticed ~40 s into an idle stream.
        keepAlive: true,
        keepAliveInitialDelay: this.tcpKeepAliveDelayMs,
        timeout: this.requestTimeoutMs,
      },
      headersTimeout: this.requestTimeoutMs,
    });
  }

  /**
   * Reads the CA file and the client certificate and key again; when any changed, new connections
   * use them (open ones finish on the old). Returns the names of the files that changed. Throws,
   * keeping what is in use, when a file cannot be read or holds nothing usable.
   */
  refreshTls(): string[] {
    const read = (path: string | undefined, current: unknown) => (path === undefined ? current : readFileSync(path, 'utf8'));
    const next = { ...this.tls, ca: read(this.files.ca, this.tls.ca), ...(this.tls.cert !== undefined && { cert: read(this.files.cert, this.tls.cert), key: read(this.files.key, this.tls.key) }) } as typeof this.tls;
    const changed = (['ca', 'cert', 'key'] as const).filter((key) => next[key] !== this.tls[key]).map((key) => this.files[key]!);
    if (changed.length === 0) return [];
    checkTls(next);
    this.tls = next;
    const old = this.dispatcher;
    this.dispatcher = this.makeAgent();
    void old.close().catch(() => undefined);
    return changed;
  }

  /** The endpoint requests go to now. */
  get url(): URL {
    return this.urls[this.current];
  }

  /** Moves to the next endpoint, round the list, and returns it. */
  failover(): URL {
    this.current = (this.current + 1) % this.urls.length;
    return this.url;
  }

  /** Makes `url` (one of `urls`, compared by href) the current endpoint; false when it is not one of them. */
  use(url: string | URL): boolean {
    const href = new URL(url).href;
    const index = this.urls.findIndex((candidate) => candidate.href === href);
    if (index >= 0) this.current = index;
    return index >= 0;
  }

  /** Sends a request and returns the response with its body unread: the caller must consume or destroy it. */
  request(method: Dispatcher.HttpMethod, path: string, settings: RequestSettings = {}): Promise<Dispatcher.ResponseData> {
    const headers = settings.body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    return this.dispatcher.request({
      origin: this.url.origin,
      path: this.url.pathname.replace(/\/+$/, '') + path,
      method,
      headers,
      body: settings.body === undefined ? null : JSON.stringify(settings.body),
      signal: settings.signal,
      bodyTimeout: settings.streaming ? 0 : this.requestTimeoutMs,
    });
  }

  /** A whole request and its JSON answer, limited to requestTimeoutMs (on the injected clock). Any status resolves. */
  async apiRequest(method: Dispatcher.HttpMethod, path: string, body?: unknown, signal?: AbortSignal): Promise<ApiResponse> {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(new IcingaTimeoutError(this.requestTimeoutMs)), this.requestTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    const started = this.clock.now();
    let result: ApiRequestResult = 'no-answer';
    try {
      const response = await this.request(method, path, { body, signal: combined });
      const text = await response.body.text();
      result = `${Math.min(5, Math.max(2, Math.floor(response.statusCode / 100)))}xx` as ApiRequestResult;
      return { status: response.statusCode, body: parseJson(text), text };
    } finally {
      this.clock.clearTimeout(timer);
      this.onApiRequest?.((this.clock.now() - started) / 1000, result);
    }
  }

  /** Closes every socket, including a running stream's. */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Fails now, with OpenSSL's reason, on an unreadable CA or a mismatched client certificate and
 * key, instead of on every connection attempt.
 */
function checkTls(tls: Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>): void {
  // Node silently ignores a CA that is not PEM, and then trusts nothing. The config check reports this with the file's name.
  const caProblem = typeof tls.ca === 'string' ? pemProblem(tls.ca, 'CA') : undefined;
  if (caProblem !== undefined) throw new Error(`the CA file has ${caProblem}`);
  createSecureContext(tls);
}
