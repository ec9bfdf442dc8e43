import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t, { type Test } from 'tap';
import { memoryLogger } from '../../src/log.js';
import { IcingaConnection, type ConnectionSettings } from '../../src/icinga/connection.js';
import { EventStream, type EventStreamOptions, type StreamStatus } from '../../src/icinga/stream.js';
import type { IcingaEvent } from '../../src/icinga/event-types.js';
import { makeCertificates } from '../harness/icinga2.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * EventStream against a local HTTPS server that plays Icinga2's part. Time is a FakeClock, so
 * backoff delays and probe intervals are exact; the network is real (127.0.0.1).
 */

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  clientCn: string | undefined;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface FakeIcinga {
  server: Server;
  url: string;
  requests: RecordedRequest[];
  /** Open event streams, newest last. */
  streams: ServerResponse[];
  /** Sockets currently open, from the server's side. */
  sockets: Set<TLSSocket>;
  programStart: number;
  /** Replace to change how /v1/status/IcingaApplication or /v1/events answer. */
  status: Handler;
  events: Handler;
}

const certDir = await mkdtemp(join(tmpdir(), 'icinga-relay-stream-test-'));
t.teardown(() => rm(certDir, { recursive: true, force: true }));
await makeCertificates(join(certDir, 'trusted'), 'relay-client');
await makeCertificates(join(certDir, 'other'), 'someone-else');
const pem = (name: string) => readFileSync(join(certDir, name), 'utf8');
const CA = pem('trusted/ca.crt');

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function startFakeIcinga(t: Test): Promise<FakeIcinga> {
  const server: Server = createServer({
    key: pem('trusted/localhost.key'),
    cert: pem('trusted/localhost.crt'),
    ca: CA,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const fake: FakeIcinga = {
    server,
    url: '',
    requests: [],
    streams: [],
    sockets: new Set(),
    programStart: 1795447852.506951,
    status: (_request, response) =>
      json(response, 200, { results: [{ name: 'IcingaApplication', status: { icingaapplication: { app: { program_start: fake.programStart } } } }] }),
    events: (_request, response) => {
      // Like Icinga2: headers at once, no length, the body ends when the connection closes.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
      fake.streams.push(response);
    },
  };
  server.on('secureConnection', (socket: TLSSocket) => {
    fake.sockets.add(socket);
    socket.on('close', () => fake.sockets.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      fake.requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
        clientCn: peer.subject?.CN as string | undefined,
      });
      if (request.url === '/v1/status/IcingaApplication') fake.status(request, response);
      else if (request.url === '/v1/events') fake.events(request, response);
      else json(response, 404, { error: 404, status: 'The requested path could not be found.' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  t.teardown(async () => {
    for (const socket of fake.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return fake;
}

/** Polls a condition in real time: the I/O is real even when the clock is not. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Harness {
  stream: EventStream;
  clock: FakeClock;
  logger: ReturnType<typeof memoryLogger>;
  events: { event: IcingaEvent; arrivedAt: number }[];
  statuses: StreamStatus[];
}

const PASSWORD_AUTH: ConnectionSettings = { caPem: CA, auth: { method: 'password', username: 'relay', password: 's3cret!' } };

function makeStream(t: Test, fake: FakeIcinga, options: Partial<EventStreamOptions> = {}): Harness {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const stream = new EventStream({
    url: fake.url,
    connection: PASSWORD_AUTH,
    types: ['StateChange', 'Notification'],
    probeIntervalMs: 30_000,
    // random() is 0: no jitter, so the delays are exact.
    random: () => 0,
    clock,
    logger,
    ...options,
  });
  const harness: Harness = { stream, clock, logger, events: [], statuses: [] };
  stream.on('event', (event, arrivedAt) => harness.events.push({ event, arrivedAt }));
  stream.on('status', (status) => harness.statuses.push(status));
  t.teardown(() => stream.stop());
  return harness;
}

const lastStatus = (h: Harness) => h.statuses[h.statuses.length - 1];
const disconnects = (h: Harness) => h.statuses.filter((s) => s.state === 'disconnected');

async function connected(h: Harness, fake: FakeIcinga, streams: number): Promise<ServerResponse> {
  await waitFor(() => fake.streams.length === streams && h.stream.connected, `event stream #${streams}`);
  return fake.streams[streams - 1]!;
}

async function waitForDisconnects(h: Harness, count: number): Promise<void> {
  await waitFor(() => disconnects(h).length === count, `disconnect #${count}`);
}

t.test('subscribes with types, a unique queue and the filter, and relays events with their arrival time', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake, { filter: 'event.host == "web01"' });
  h.stream.start();
  const response = await connected(h, fake, 1);

  const [status, events] = fake.requests;
  t.equal(status!.path, '/v1/status/IcingaApplication', 'program_start is read first');
  t.equal(events!.method, 'POST');
  t.equal(events!.headers.accept, 'application/json');
  t.equal(events!.headers['content-type'], 'application/json');
  t.equal(events!.headers.authorization, `Basic ${Buffer.from('relay:s3cret!').toString('base64')}`);
  const body = JSON.parse(events!.body) as { types: string[]; queue: string; filter: string };
  t.same(body.types, ['StateChange', 'Notification']);
  t.equal(body.filter, 'event.host == "web01"');
  t.match(body.queue, new RegExp(`^icinga-relay-.+-${process.pid}-1-0$`));
  t.same(lastStatus(h), { state: 'connected', url: fake.url, queue: body.queue });
  t.match(h.logger.lines.join('\n'), /INFO event stream connected url=https:\/\/127\.0\.0\.1:\d+ queue=icinga-relay-\S+ types="StateChange,Notification"/);

  const arrival = h.clock.now();
  response.write('{"type":"StateChange","host":"web01","state":1}\n{"type":"Notifi');
  await waitFor(() => h.events.length === 1, 'first event');
  h.clock.advance(1_500);
  response.write('cation","host":"web01"}\n');
  await waitFor(() => h.events.length === 2, 'second event');
  t.same(h.events, [
    { event: { type: 'StateChange', host: 'web01', state: 1 }, arrivedAt: arrival },
    { event: { type: 'Notification', host: 'web01' }, arrivedAt: arrival + 1_500 },
  ]);
  t.same(h.stream.counters, { events: 2, malformed: 0, overlong: 0, reconnects: 0 });
});

t.test('a last line without a newline is an event when Icinga2 ends the stream, and arrived with its chunk', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake);
  h.stream.start();
  const response = await connected(h, fake, 1);
  const arrival = h.clock.now();
  response.write('{"type":"StateChange","n":1}\n{"type":"StateChange","n":2}');
  await waitFor(() => h.events.length === 1, 'the first event');
  h.clock.advance(2_000);
  response.end();
  await waitForDisconnects(h, 1);
  t.same(h.events, [
    { event: { type: 'StateChange', n: 1 }, arrivedAt: arrival },
    { event: { type: 'StateChange', n: 2 }, arrivedAt: arrival },
  ]);
});

t.test('malformed and over-long lines are counted and logged, and the stream carries on', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake, { maxLineBytes: 1_000 });
  h.stream.start();
  const response = await connected(h, fake, 1);
  const garbage = `not json ${'x'.repeat(300)}`;
  response.write(`${garbage}\n{"no":"type"}\n[1,2]\n{"type":5}\nnull\n42\n"StateChange"\n`);
  response.write(`{"type":"CheckResult","output":"${'y'.repeat(5_000)}"}\n`);
  response.write('{"type":"StateChange","host":"db01"}\n');
  await waitFor(() => h.events.length === 1, 'the good event');

  t.same(h.stream.counters, { events: 1, malformed: 7, overlong: 1, reconnects: 0 });
  t.same(h.events[0]!.event, { type: 'StateChange', host: 'db01' });
  const warnings = h.logger.lines.filter((line) => line.includes(' WARN '));
  t.equal(warnings.length, 8);
  t.ok(warnings[0]!.includes(`malformed line in the event stream problem="not valid JSON" excerpt="${garbage.slice(0, 200)}"`), 'the excerpt is cut at 200 characters');
  t.notOk(warnings[0]!.includes(garbage.slice(0, 201)));
  t.match(warnings[7]!, /dropped an over-long line from the event stream bytes=5034 maxLineBytes=1000/);
  t.ok(h.stream.connected);
});

t.test('a failing event listener is logged and does not cost the connection', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake);
  let calls = 0;
  h.stream.prependListener('event', () => {
    if (++calls === 1) throw new Error('formatter bug');
  });
  h.stream.start();
  const response = await connected(h, fake, 1);
  response.write('{"type":"StateChange","n":1}\n{"type":"StateChange","n":2}\n');
  await waitFor(() => calls === 2, 'both events');
  t.match(h.logger.lines.join('\n'), /ERROR event listener failed type=StateChange error="formatter bug"/);
  t.ok(h.stream.connected);
  t.equal(h.stream.counters.events, 2);
});

t.test('a failing status listener is logged and does not stop reconnecting', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake);
  // Added after the harness's own listener, which therefore still records every status.
  h.stream.on('status', (status) => {
    throw new Error(`dashboard bug on ${status.state}`);
  });
  h.stream.start();
  (await connected(h, fake, 1)).end();
  await waitForDisconnects(h, 1);
  h.clock.advance(1_000);
  await connected(h, fake, 2);
  const errors = h.logger.lines.filter((line) => line.includes('ERROR status listener failed'));
  t.match(errors, [/state=connected error="dashboard bug on connected"/, /state=disconnected/, /state=connected/]);
});

t.test('reconnects after an end, an error and an HTTP 500, with growing delays', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake);
  h.stream.start();

  // 1: a clean end, as on every Icinga2 reload.
  (await connected(h, fake, 1)).end();
  await waitForDisconnects(h, 1);
  t.same(lastStatus(h), { state: 'disconnected', kind: 'ended', reason: 'Icinga2 ended the event stream (it does on every reload and restart)', retryInMs: 1_000 });
  t.same(h.clock.pendingDelays(), [1_000], 'only the reconnect timer is left; the probe timer is gone');
  t.notOk(h.stream.connected);
  h.clock.advance(999);
  t.equal(fake.streams.length, 1, 'no attempt before the delay is over');
  h.clock.advance(1);

  // 2: the connection breaks.
  (await connected(h, fake, 2)).socket!.destroy();
  await waitForDisconnects(h, 2);
  t.match(lastStatus(h), { state: 'disconnected', kind: 'network', retryInMs: 2_000 });
  t.same(h.clock.pendingDelays(), [2_000]);

  // 3: Icinga2 answers 500.
  fake.events = (_request, response) => json(response, 500, { error: 500, status: 'Internal error: queue overflow' });
  h.clock.advance(2_000);
  await waitForDisconnects(h, 3);
  t.same(lastStatus(h), { state: 'disconnected', kind: 'http', reason: 'Icinga2 answered HTTP 500: Internal error: queue overflow', retryInMs: 4_000 });
  t.same(h.clock.pendingDelays(), [4_000]);

  const queues = fake.requests.filter((r) => r.path === '/v1/events').map((r) => (JSON.parse(r.body) as { queue: string }).queue);
  t.equal(new Set(queues).size, 3, 'a new queue name for every connection');
  t.same(h.stream.counters, { events: 0, malformed: 0, overlong: 0, reconnects: 2 });
  const logged = h.logger.lines.filter((line) => !line.includes('event stream connected'));
  t.match(logged[0]!, /INFO Icinga2 ended the event stream .* retryInMs=1000/);
  t.match(logged[1]!, /WARN connection to Icinga2 failed \(.+\) url=\S+ retryInMs=2000/);
  t.match(logged[2]!, /WARN Icinga2 answered HTTP 500: Internal error: queue overflow url=\S+ retryInMs=4000/);
});

t.test('the delay starts over after a connection that stayed up', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake, { backoff: { initialDelayMs: 200, healthyAfterMs: 10_000 }, probeIntervalMs: 60_000 });
  h.stream.start();
  (await connected(h, fake, 1)).end();
  await waitForDisconnects(h, 1);
  h.clock.advance(200);
  (await connected(h, fake, 2)).end();
  await waitForDisconnects(h, 2);
  t.match(disconnects(h)[1], { retryInMs: 400 });
  h.clock.advance(400);
  const third = await connected(h, fake, 3);
  h.clock.advance(10_000);
  third.end();
  await waitForDisconnects(h, 3);
  t.same(h.clock.pendingDelays(), [200]);
});

t.test('HTTP 401 is logged as an error naming the settings, and retried with backoff', async (t) => {
  const fake = await startFakeIcinga(t);
  const unauthorized: Handler = (_request, response) => {
    response.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="Icinga 2"' });
    response.end('<h1>Unauthorized. Please check your user credentials.</h1>');
  };
  fake.status = unauthorized;
  const h = makeStream(t, fake);
  h.stream.start();
  await waitForDisconnects(h, 1);
  h.clock.advance(1_000);
  await waitForDisconnects(h, 2);
  const message = 'authentication failed (HTTP 401): check icinga.username and icinga.password';
  t.same(disconnects(h), [
    { state: 'disconnected', kind: 'auth', reason: message, retryInMs: 1_000 },
    { state: 'disconnected', kind: 'auth', reason: message, retryInMs: 2_000 },
  ]);
  t.match(h.logger.lines[0]!, new RegExp(`ERROR ${escapeRegExp(message)} url=\\S+ retryInMs=1000`));
  t.match(h.logger.lines[1]!, new RegExp(`ERROR ${escapeRegExp(message)} url=\\S+ retryInMs=2000`));
  t.equal(fake.requests.filter((r) => r.path === '/v1/events').length, 0, 'no stream request with credentials known to be wrong');

  // A 401 on the stream itself (the status URL answered) reads the same.
  fake.status = (_request, response) => json(response, 404, { error: 404, status: 'No objects found.' });
  fake.events = unauthorized;
  h.clock.advance(2_000);
  await waitForDisconnects(h, 3);
  t.match(lastStatus(h), { kind: 'auth', reason: message, retryInMs: 4_000 });
});

t.test('an untrusted server certificate is logged as an error asking for the CA file', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake, { connection: { ...PASSWORD_AUTH, caPem: pem('other/ca.crt') } });
  h.stream.start();
  await waitForDisconnects(h, 1);
  t.match(lastStatus(h), { kind: 'tls', reason: /^certificate not trusted: set icinga\.ca_file \(.+\)$/, retryInMs: 1_000 });
  t.match(h.logger.lines[0]!, /ERROR certificate not trusted: set icinga\.ca_file/);
  t.equal(fake.requests.length, 0);
});

t.test('the liveness probe', async (t) => {
  t.test('a probe that gets its answer keeps the stream, and probes again', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    t.same(h.clock.pendingDelays(), [30_000]);
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 3 && h.clock.pendingDelays().length === 1 && h.clock.pendingDelays()[0] === 30_000, 'the next probe');
    t.equal(fake.requests[2]!.path, '/v1/status/IcingaApplication');
    t.ok(h.stream.connected);
    t.equal(disconnects(h).length, 0);
  });

  t.test('an HTTP 5xx answer drops the stream and reconnects', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    const first = await connected(h, fake, 1);
    fake.status = (_request, response) => json(response, 503, { error: 503, status: 'shutting down' });
    h.clock.advance(30_000);
    await waitForDisconnects(h, 1);
    t.same(lastStatus(h), { state: 'disconnected', kind: 'probe', reason: 'liveness probe failed: Icinga2 answered HTTP 503: shutting down', retryInMs: 1_000 });
    await waitFor(() => first.socket === null || first.socket.destroyed, 'the old stream to be closed');
    t.match(h.logger.lines.join('\n'), /WARN liveness probe failed: Icinga2 answered HTTP 503: shutting down/);
  });

  t.test('no answer within the request timeout drops the stream', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake, { connection: { ...PASSWORD_AUTH, requestTimeoutMs: 5_000 } });
    h.stream.start();
    await connected(h, fake, 1);
    fake.status = () => {
      // Never answers, like a hung daemon behind a live socket.
    };
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 3 && h.clock.pendingDelays()[0] === 5_000, 'the probe to be under way');
    h.clock.advance(5_000);
    await waitForDisconnects(h, 1);
    t.same(lastStatus(h), { state: 'disconnected', kind: 'probe', reason: 'liveness probe failed: no answer from Icinga2 within 5000 ms', retryInMs: 1_000 });
  });

  t.test('a refused connection drops the stream', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    const stream = await connected(h, fake, 1);
    // The listener goes away and idle sockets close; the stream's socket lives on, as behind a
    // daemon that died without closing its connections.
    fake.server.close();
    for (const socket of fake.sockets) if (socket !== stream.socket) socket.destroy();
    h.clock.advance(30_000);
    await waitForDisconnects(h, 1);
    t.match(lastStatus(h), { kind: 'probe', reason: /^liveness probe failed: connection refused by 127\.0\.0\.1:\d+: is Icinga2 running, and is icinga\.url right\?$/ });
  });

  t.test('a changed program_start means Icinga2 restarted: drop and reconnect', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    fake.programStart = 1795447999.25;
    h.clock.advance(30_000);
    await waitForDisconnects(h, 1);
    t.same(lastStatus(h), {
      state: 'disconnected',
      kind: 'probe',
      reason: 'Icinga2 restarted (program_start 1795447852.506951 became 1795447999.25): this stream is stale',
      retryInMs: 1_000,
    });
    h.clock.advance(1_000);
    await connected(h, fake, 2);
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 6 && h.clock.pendingDelays()[0] === 30_000, 'a probe against the new baseline');
    t.equal(disconnects(h).length, 1, 'the new program_start is the new baseline');
  });

  t.test('a user without permission for the status URL (404) still gets liveness checks', async (t) => {
    const fake = await startFakeIcinga(t);
    fake.status = (_request, response) => json(response, 404, { error: 404, status: 'No objects found.' });
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    t.match(h.logger.lines[0]!, /INFO cannot read \/v1\/status\/IcingaApplication \(HTTP 404\): the liveness probe will not notice Icinga2 restarts/);
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 3 && h.clock.pendingDelays()[0] === 30_000, 'the next probe');
    t.ok(h.stream.connected, 'a 404 counts as alive');
    (fake.streams[0]!).end();
    await waitForDisconnects(h, 1);
    h.clock.advance(1_000);
    await connected(h, fake, 2);
    t.equal(h.logger.lines.filter((line) => line.includes('cannot read')).length, 1, 'said once, not on every connection');
  });

  t.test('probes every 60 s unless told otherwise', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake, { probeIntervalMs: undefined });
    h.stream.start();
    await connected(h, fake, 1);
    t.same(h.clock.pendingDelays(), [60_000]);
  });

  t.test('an answer without program_start leaves only the liveness check', async (t) => {
    const fake = await startFakeIcinga(t);
    fake.status = (_request, response) => json(response, 200, { results: [] });
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    t.match(h.logger.lines[0]!, /cannot read \/v1\/status\/IcingaApplication \(HTTP 200\)/);
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 3 && h.clock.pendingDelays()[0] === 30_000, 'the next probe');
    t.ok(h.stream.connected);
  });

  t.test('a 5xx while reading program_start fails the attempt', async (t) => {
    const fake = await startFakeIcinga(t);
    fake.status = (_request, response) => json(response, 500, { results: [] });
    const h = makeStream(t, fake);
    h.stream.start();
    await waitForDisconnects(h, 1);
    t.same(lastStatus(h), { state: 'disconnected', kind: 'http', reason: 'Icinga2 answered HTTP 500: {"results":[]}', retryInMs: 1_000 });
  });
});

t.test('stop() closes everything and leaves no timer or socket behind', async (t) => {
  t.test('while connected', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    t.ok(fake.sockets.size >= 1);
    await h.stream.stop();
    t.same(h.clock.pendingDelays(), []);
    await waitFor(() => fake.sockets.size === 0, 'all sockets closed');
    t.same(lastStatus(h), { state: 'stopped' });
    t.notOk(h.stream.connected);
    await h.stream.stop();
    t.equal(h.statuses.filter((s) => s.state === 'stopped').length, 1, 'a second stop() is a no-op');
    t.throws(() => h.stream.start(), /a stopped event stream cannot be started again/);
  });

  t.test('while waiting to reconnect', async (t) => {
    const fake = await startFakeIcinga(t);
    fake.events = (_request, response) => json(response, 500, {});
    const h = makeStream(t, fake);
    h.stream.start();
    await waitForDisconnects(h, 1);
    t.same(h.clock.pendingDelays(), [1_000]);
    await h.stream.stop();
    t.same(h.clock.pendingDelays(), []);
    await waitFor(() => fake.sockets.size === 0, 'all sockets closed');
  });

  t.test('while a probe is under way', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    h.stream.start();
    await connected(h, fake, 1);
    fake.status = () => {};
    h.clock.advance(30_000);
    await waitFor(() => fake.requests.length === 3, 'the probe to reach the server');
    await h.stream.stop();
    t.same(h.clock.pendingDelays(), []);
    t.equal(disconnects(h).length, 0, 'stopping is not a failure');
    await waitFor(() => fake.sockets.size === 0, 'all sockets closed');
  });

  t.test('while connecting', async (t) => {
    const fake = await startFakeIcinga(t);
    fake.status = () => {};
    const h = makeStream(t, fake);
    h.stream.start();
    await waitFor(() => fake.requests.length === 1, 'the first request');
    await h.stream.stop();
    t.same(h.clock.pendingDelays(), []);
    t.same(h.statuses, [{ state: 'stopped' }]);
  });

  t.test('before start', async (t) => {
    const fake = await startFakeIcinga(t);
    const h = makeStream(t, fake);
    await h.stream.stop();
    t.same(h.statuses, [{ state: 'stopped' }]);
  });
});

t.test('start() twice is refused', async (t) => {
  const fake = await startFakeIcinga(t);
  const h = makeStream(t, fake);
  h.stream.start();
  t.throws(() => h.stream.start(), /already started/);
});

t.test('event types are validated at construction', async (t) => {
  const fake = await startFakeIcinga(t);
  t.throws(() => makeStream(t, fake, { types: ['StateChange', 'StateChanged'] }), {
    message: /^unknown Icinga2 event type "StateChanged" \(Icinga2 would accept it and send nothing\); known types: CheckResult, StateChange,/,
  });
  t.throws(() => makeStream(t, fake, { types: [] }), /no Icinga2 event types given/);
});

t.test('IcingaConnection', async (t) => {
  t.test('client-certificate auth sends the certificate and no Authorization header', async (t) => {
    const fake = await startFakeIcinga(t);
    const connection = new IcingaConnection(fake.url, {
      caPem: CA,
      auth: { method: 'certificate', certPem: pem('trusted/client.crt'), keyPem: pem('trusted/client.key') },
    });
    t.teardown(() => connection.close());
    const answer = await connection.apiRequest('GET', '/v1/status/IcingaApplication');
    t.equal(answer.status, 200);
    t.equal(fake.requests[0]!.clientCn, 'relay-client');
    t.equal(fake.requests[0]!.headers.authorization, undefined);
    t.equal(connection.failureHints.auth, 'certificate');
  });

  t.test('a path in the URL is a prefix for every request; non-JSON answers keep their text', async (t) => {
    const fake = await startFakeIcinga(t);
    const connection = new IcingaConnection(`${fake.url}/`, PASSWORD_AUTH);
    t.teardown(() => connection.close());
    fake.events = (_request, response) => {
      response.writeHead(400, { 'content-type': 'text/html' });
      response.end('<h1>Accept header is missing or not set to application/json.</h1>');
    };
    const answer = await connection.apiRequest('POST', '/v1/events', { types: ['StateChange'] });
    t.same(answer, { status: 400, body: undefined, text: '<h1>Accept header is missing or not set to application/json.</h1>' });
    t.equal(fake.requests[0]!.path, '/v1/events');

    const prefixed = new IcingaConnection(`${fake.url}/icinga-api/`, PASSWORD_AUTH);
    t.teardown(() => prefixed.close());
    const missing = await prefixed.apiRequest('GET', '/v1/status/IcingaApplication');
    t.equal(missing.status, 404);
    t.equal(fake.requests[1]!.path, '/icinga-api/v1/status/IcingaApplication');
  });

  t.test('onApiRequest hears how long each API request took and how it ended', async (t) => {
    const fake = await startFakeIcinga(t);
    const clock = new FakeClock();
    const connection = new IcingaConnection(fake.url, { ...PASSWORD_AUTH, caPem: CA }, clock);
    t.teardown(() => connection.close());
    const heard: [number, string][] = [];
    connection.onApiRequest = (seconds, result) => heard.push([seconds, result]);
    fake.events = (_request, response) => {
      clock.advance(1500);
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{}');
    };
    await connection.apiRequest('GET', '/v1/status/IcingaApplication');
    await connection.apiRequest('POST', '/v1/events', { types: ['StateChange'] });
    t.same(heard, [[0, '2xx'], [1.5, '5xx']]);

    const refused = new IcingaConnection('https://127.0.0.1:1', PASSWORD_AUTH, clock);
    t.teardown(() => refused.close());
    refused.onApiRequest = (seconds, result) => heard.push([seconds, result]);
    await t.rejects(refused.apiRequest('GET', '/v1/status'));
    t.same(heard[2], [0, 'no-answer']);
  });

  t.test('refuses plain http, unusable CA files and mismatched client keys at construction', async (t) => {
    t.throws(() => new IcingaConnection('http://127.0.0.1:5665', PASSWORD_AUTH), /must start with https:\/\//);
    t.throws(() => new IcingaConnection('https://127.0.0.1:5665', { ...PASSWORD_AUTH, caPem: 'not a certificate' }), /the CA file has no PEM certificate in it/);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    t.throws(() => new IcingaConnection('https://127.0.0.1:5665', { ...PASSWORD_AUTH, caPem: broken }), /the CA file has an unreadable certificate in it/);
    t.throws(
      () =>
        new IcingaConnection('https://127.0.0.1:5665', {
          caPem: CA,
          auth: { method: 'certificate', certPem: pem('trusted/client.crt'), keyPem: pem('other/client.key') },
        }),
      /key values mismatch/,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

t.test('HA failover: several URLs', async (t) => {
  const { freePort } = await import('../harness/icinga2.js');
  const deadUrl = async () => `https://127.0.0.1:${await freePort()}`;
  const backoff = { initialDelayMs: 1_000, maxDelayMs: 1_000 };

  t.test('a failed first URL: the next one is tried at once, and the stream says which it uses', async (t) => {
    const fake = await startFakeIcinga(t);
    const dead = await deadUrl();
    const h = makeStream(t, fake, { url: [dead, fake.url], backoff });
    t.equal(h.stream.url, dead, 'starts with the first');
    h.stream.start();
    await connected(h, fake, 1);
    t.equal(h.stream.url, fake.url);
    t.match(disconnects(h), [{ kind: 'refused', retryInMs: 0 }], 'no backoff delay before another endpoint');
    t.same(lastStatus(h), { state: 'connected', url: fake.url, queue: JSON.parse(fake.requests[1]!.body).queue });
    t.match(h.logger.lines.join('\n'), new RegExp(`WARN failing over to ${escapeRegExp(fake.url)} from=${escapeRegExp(dead)} retryInMs=0`));
  });

  t.test('every URL failed: the backoff applies, then it comes back around to the first', async (t) => {
    const fake = await startFakeIcinga(t);
    const [first, second] = [await deadUrl(), await deadUrl()];
    const h = makeStream(t, fake, { url: [first, second], backoff });
    h.stream.start();
    await waitForDisconnects(h, 2);
    t.match(disconnects(h), [{ retryInMs: 0 }, { retryInMs: 1_000 }]);
    t.equal(h.stream.url, first, 'back to the first after the round');
    t.match(h.logger.lines.join('\n'), new RegExp(`failing over to ${escapeRegExp(second)}[^\\n]*\\n(.*\\n)*.*failing over to ${escapeRegExp(first)}`));
    h.clock.advance(1_000);
    // The new round goes through both URLs at once, then waits for the backoff again.
    await waitForDisconnects(h, 4);
    t.match(disconnects(h).slice(2), [{ retryInMs: 0 }, { retryInMs: 1_000 }], 'a new round: the second is tried at once again');
    t.equal(h.stream.counters.reconnects, 3);
  });

  t.test('a clean end (a reload) retries the same URL', async (t) => {
    const fake = await startFakeIcinga(t);
    const other = await startFakeIcinga(t);
    const h = makeStream(t, fake, { url: [fake.url, other.url], backoff });
    h.stream.start();
    const response = await connected(h, fake, 1);
    response.end();
    await waitForDisconnects(h, 1);
    t.match(disconnects(h), [{ kind: 'ended', retryInMs: 1_000 }]);
    t.equal(h.stream.url, fake.url);
    t.notMatch(h.logger.lines.join('\n'), /failing over/);
  });

  t.test('IcingaConnection: failover() goes round the list, use() picks a known URL', async (t) => {
    const connection = new IcingaConnection(['https://a.example:5665', 'https://b.example:5665/prefix/'], PASSWORD_AUTH);
    t.teardown(() => connection.close());
    t.equal(connection.url.host, 'a.example:5665');
    t.equal(connection.failover().host, 'b.example:5665');
    t.equal(connection.failover().host, 'a.example:5665');
    t.equal(connection.use('https://b.example:5665/prefix/'), true);
    t.equal(connection.url.host, 'b.example:5665');
    t.equal(connection.use('https://c.example:5665'), false, 'an unknown URL changes nothing');
    t.equal(connection.url.host, 'b.example:5665');
    t.throws(() => new IcingaConnection([], PASSWORD_AUTH), /no Icinga2 API URL given/);
    t.throws(() => new IcingaConnection(['https://a.example', 'http://b.example'], PASSWORD_AUTH), /must start with https:\/\//);
  });
});
