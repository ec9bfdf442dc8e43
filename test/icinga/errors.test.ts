import { createServer } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import {
  bodyExcerpt,
  describeFailure,
  describeHttpFailure,
  IcingaHttpError,
  IcingaTimeoutError,
} from '../../src/icinga/errors.js';

const coded = (code: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code }, extra);

t.test('HTTP 401 points at the credentials that were used', async (t) => {
  t.same(describeFailure(new IcingaHttpError(401, '<h1>Unauthorized. Please check your user credentials.</h1>')), {
    kind: 'auth',
    message: 'authentication failed (HTTP 401): check icinga.username and icinga.password',
  });
  t.match(describeHttpFailure(401, '', { auth: 'certificate' }).message, /^authentication failed \(HTTP 401\): check icinga\.cert_file and icinga\.key_file/);
});

t.test('other HTTP statuses carry an excerpt of the body', async (t) => {
  t.same(describeHttpFailure(500, '{"results":[]}'), { kind: 'http', message: 'Icinga2 answered HTTP 500: {"results":[]}' });
  t.same(describeHttpFailure(400, `{"error":400,"status":"'queue' query parameter is required."}`), {
    kind: 'http',
    message: "Icinga2 answered HTTP 400: 'queue' query parameter is required.",
  });
  t.equal(
    describeHttpFailure(404, '{"error":404,"status":"The requested path \'v1/events\' could not be found or the request method is not valid for this path."}').message,
    "Icinga2 answered HTTP 404: The requested path 'v1/events' could not be found or the request method is not valid for this path. (Icinga2 also answers 404 when the API user lacks the permission)",
  );
  const error = new IcingaHttpError(503, 'Service Unavailable');
  t.equal(error.message, 'Icinga2 answered HTTP 503: Service Unavailable');
  t.equal(error.status, 503);
  t.equal(describeFailure(error).kind, 'http');
});

t.test('body excerpts are one short line', async (t) => {
  t.equal(bodyExcerpt('<html><body><h1>Bad\nRequest</h1>\r\n</body></html>'), 'Bad Request');
  t.equal(bodyExcerpt(''), '(empty body)');
  t.equal(bodyExcerpt('   '), '(empty body)');
  t.equal(bodyExcerpt('{"error":404}'), '{"error":404}');
  t.equal(bodyExcerpt('["a"]'), '["a"]');
  t.equal(bodyExcerpt('null'), 'null');
  const long = bodyExcerpt('z'.repeat(500));
  t.equal(long.length, 200);
  t.ok(long.endsWith('…'));
  t.equal(bodyExcerpt('abcdef', 4), 'abc…');
});

t.test('TLS verification failures ask for the CA file and keep Node\'s reason', async (t) => {
  for (const [code, reason] of [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'],
  ] as const) {
    t.same(describeFailure(coded(code, reason)), { kind: 'tls', message: `certificate not trusted: set icinga.ca_file (${reason})` }, code);
  }
  // A CA file cannot fix these two, so they say what is wrong instead.
  t.same(describeFailure(coded('CERT_HAS_EXPIRED', 'certificate has expired')), {
    kind: 'tls',
    message: "certificate not trusted: Icinga2's certificate is outside its validity period (certificate has expired)",
  });
  const altname = "Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 127.0.0.1";
  t.same(describeFailure(coded('ERR_TLS_CERT_ALTNAME_INVALID', altname)), {
    kind: 'tls',
    message: `certificate not trusted: it is not valid for the host in icinga.url (${altname})`,
  });
  t.same(describeFailure(coded('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca')), {
    kind: 'tls',
    message: 'TLS handshake failed (tlsv1 alert unknown ca)',
  });
});

t.test('network failures', async (t) => {
  t.same(describeFailure(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5665', { address: '127.0.0.1', port: 5665 })), {
    kind: 'refused',
    message: 'connection refused by 127.0.0.1:5665: is Icinga2 running, and is icinga.url right?',
  });
  t.equal(describeFailure(coded('ECONNREFUSED', 'x', { address: '/run/icinga2.sock' })).message, 'connection refused by /run/icinga2.sock: is Icinga2 running, and is icinga.url right?');
  t.equal(describeFailure(coded('ECONNREFUSED', 'x')).message, 'connection refused by Icinga2: is Icinga2 running, and is icinga.url right?');
  t.same(describeFailure(coded('ENOTFOUND', 'getaddrinfo ENOTFOUND icinga.example', { hostname: 'icinga.example' })), {
    kind: 'dns',
    message: 'cannot resolve icinga.example (ENOTFOUND): check icinga.url',
  });
  t.equal(describeFailure(coded('EAI_AGAIN', 'x')).message, 'cannot resolve the host in icinga.url (EAI_AGAIN): check icinga.url');
  t.same(describeFailure(coded('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error')), {
    kind: 'timeout',
    message: 'timed out talking to Icinga2 (Connect Timeout Error)',
  });
  t.same(describeFailure(new IcingaTimeoutError(10_000)), { kind: 'timeout', message: 'no answer from Icinga2 within 10000 ms' });
  t.same(describeFailure(coded('ECONNRESET', 'read ECONNRESET')), { kind: 'network', message: 'connection to Icinga2 failed (read ECONNRESET)' });
  t.same(describeFailure(coded('UND_ERR_SOCKET', 'other side closed')), { kind: 'network', message: 'connection to Icinga2 failed (other side closed)' });
});

t.test('wrapped errors are searched: cause chains and AggregateError', async (t) => {
  const refused = coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:5665', { address: '::1', port: 5665 });
  t.equal(describeFailure(new TypeError('fetch failed', { cause: refused })).kind, 'refused');
  t.equal(describeFailure(new AggregateError([coded('EADDRNOTAVAIL', 'x'), refused], 'connect failed')).message, 'connection refused by ::1:5665: is Icinga2 running, and is icinga.url right?');
  t.equal(describeFailure(new Error('outer', { cause: new IcingaHttpError(401, '') })).kind, 'auth');
  t.equal(describeFailure(new Error('aborted', { cause: new IcingaTimeoutError(5) })).kind, 'timeout');
  // A cycle does not hang the search.
  const a: Error & { cause?: unknown } = new Error('a');
  a.cause = new Error('b', { cause: a });
  t.same(describeFailure(a), { kind: 'other', message: 'a' });
});

t.test('anything else keeps its own message', async (t) => {
  t.same(describeFailure(new Error('something odd')), { kind: 'other', message: 'something odd' });
  t.same(describeFailure('a string'), { kind: 'other', message: 'a string' });
  t.same(describeFailure(coded('EWHATEVER', 'strange')), { kind: 'other', message: 'strange' });
});

t.test('a real refused connection through undici is recognised', async (t) => {
  // Listen, note the port, close: nothing listens there any more.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const error = await request(`http://127.0.0.1:${port}/`).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.same(describeFailure(error), { kind: 'refused', message: `connection refused by 127.0.0.1:${port}: is Icinga2 running, and is icinga.url right?` });
});
