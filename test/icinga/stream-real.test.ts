import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { systemClock } from '../../src/clock.js';
import type { ConnectionSettings } from '../../src/icinga/connection.js';
import type { IcingaEvent } from '../../src/icinga/event-types.js';
import { EventStream, type StreamStatus } from '../../src/icinga/stream.js';
import { memoryLogger } from '../../src/log.js';
import { makeCertificates, startIcinga2 } from '../harness/icinga2.js';

/**
 * EventStream against a real Icinga2 2.13 (test/harness/icinga2.ts), on the system clock.
 * Icinga2 2.13 delivers events in ~5 s ticks, so waits for an event allow 15 s and nothing
 * asserts on speed. Small backoff delays keep the recovery tests quick.
 */

const EVENT_TIMEOUT_MS = 15_000;

const icinga = await startIcinga2();
t.teardown(() => icinga.destroy());
const CA = readFileSync(icinga.caFile, 'utf8');
const passwordAuth = (password = icinga.users.full.password): ConnectionSettings => ({
  caPem: CA,
  auth: { method: 'password', username: icinga.users.full.username, password },
});

interface RealStream {
  stream: EventStream;
  logger: ReturnType<typeof memoryLogger>;
  events: { event: IcingaEvent; arrivedAt: number }[];
  statuses: StreamStatus[];
}

function openStream(t: Test, connection: ConnectionSettings): RealStream {
  const logger = memoryLogger();
  const stream = new EventStream({
    url: icinga.url,
    connection,
    types: ['StateChange'],
    probeIntervalMs: 1_000,
    backoff: { initialDelayMs: 200, maxDelayMs: 2_000 },
    clock: systemClock,
    random: Math.random,
    logger,
  });
  const real: RealStream = { stream, logger, events: [], statuses: [] };
  stream.on('event', (event, arrivedAt) => real.events.push({ event, arrivedAt }));
  stream.on('status', (status) => real.statuses.push(status));
  t.teardown(() => stream.stop());
  stream.start();
  return real;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const connectedCount = (real: RealStream) => real.statuses.filter((s) => s.state === 'connected').length;
const failures = (real: RealStream) =>
  real.statuses.filter((s): s is Extract<StreamStatus, { state: 'disconnected' }> => s.state === 'disconnected');

/** Alternates web01!http between OK and CRITICAL, so every call is a state change. */
let httpCritical = false;
async function toggleHttp(): Promise<number> {
  httpCritical = !httpCritical;
  const state = httpCritical ? 2 : 0;
  await icinga.processCheckResult('web01!http', state, httpCritical ? 'HTTP CRITICAL - connection refused' : 'HTTP OK');
  return state;
}

/** Submits a state change and waits for its StateChange event; returns how long it took (ms). */
async function expectStateChange(real: RealStream): Promise<number> {
  const submitted = Date.now();
  const state = await toggleHttp();
  const seen = () => real.events.some(({ event, arrivedAt }) => event.host === 'web01' && event.service === 'http' && event.state === state && arrivedAt >= submitted);
  await waitFor(seen, `StateChange web01!http state ${state}`, EVENT_TIMEOUT_MS);
  return Date.now() - submitted;
}

t.test('a passive CRITICAL result arrives as a StateChange event', async (t) => {
  const real = openStream(t, passwordAuth());
  await waitFor(() => real.stream.connected, 'connected');
  const waited = await expectStateChange(real);
  t.comment(`StateChange arrived ${waited} ms after process-check-result`);
  const { event } = real.events.find(({ event }) => event.service === 'http')!;
  t.match(event, { type: 'StateChange', host: 'web01', service: 'http', check_result: { output: /^HTTP / } });
  t.equal(real.stream.counters.malformed, 0);
  t.equal(real.stream.counters.overlong, 0);
});

t.test('recovers by itself after a reload (HUP)', async (t) => {
  const real = openStream(t, passwordAuth());
  await waitFor(() => real.stream.connected, 'connected');
  const started = Date.now();
  await icinga.reload();
  await waitFor(() => connectedCount(real) === 2, 'reconnected after the reload');
  t.comment(`reconnected ${Date.now() - started} ms after sending HUP`);
  t.match(failures(real)[0], { kind: 'ended', reason: /Icinga2 ended the event stream/ });
  t.equal(real.stream.counters.reconnects, failures(real).length);
  await expectStateChange(real);
});

t.test('recovers by itself after a stop and a start', async (t) => {
  const real = openStream(t, passwordAuth());
  await waitFor(() => real.stream.connected, 'connected');
  await icinga.stop();
  await waitFor(() => failures(real).some((f) => f.kind === 'refused'), 'a refused reconnect while Icinga2 is down');
  const started = Date.now();
  await icinga.start();
  await waitFor(() => real.stream.connected, 'reconnected after the start');
  t.comment(`reconnected ${Date.now() - started} ms after Icinga2 answered again`);
  t.equal(failures(real)[0]!.kind, 'ended', 'the stop ends the stream cleanly first');
  t.match(real.logger.lines.join('\n'), /WARN connection refused by 127\.0\.0\.1:\d+: is Icinga2 running, and is icinga\.url right\?/);
  await expectStateChange(real);
});

t.test('a wrong password gives the 401 message and keeps retrying with growing delays', async (t) => {
  const real = openStream(t, passwordAuth('not-the-password'));
  await waitFor(() => failures(real).length >= 2, 'two failed attempts');
  await real.stream.stop();
  const [first, second] = failures(real);
  const message = 'authentication failed (HTTP 401): check icinga.username and icinga.password';
  t.match(first, { kind: 'auth', reason: message });
  t.match(second, { kind: 'auth', reason: message });
  t.ok(second!.retryInMs > first!.retryInMs, `delays grow: ${first!.retryInMs} ms, then ${second!.retryInMs} ms`);
  const errors = real.logger.lines.filter((line) => line.includes(`ERROR ${message}`));
  t.ok(errors.length >= 2, 'each attempt is logged at error level');
  t.notOk(real.logger.lines.join('\n').includes('not-the-password'));
  t.equal(connectedCount(real), 0);
});

t.test('a CA that did not sign the server certificate gives "certificate not trusted" and keeps retrying', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'icinga-relay-wrong-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await makeCertificates(dir, 'unrelated');
  const real = openStream(t, { ...passwordAuth(), caPem: readFileSync(join(dir, 'ca.crt'), 'utf8') });
  await waitFor(() => failures(real).length >= 2, 'two failed attempts');
  await real.stream.stop();
  const [first, second] = failures(real);
  t.match(first, { kind: 'tls', reason: /^certificate not trusted: set icinga\.ca_file \(.+\)$/ });
  t.match(second, { kind: 'tls', reason: first!.reason });
  t.ok(second!.retryInMs > first!.retryInMs, `delays grow: ${first!.retryInMs} ms, then ${second!.retryInMs} ms`);
  t.comment(`Node's reason: ${first!.reason}`);

  // With ca_file set, "set icinga.ca_file" would send the admin in circles: the file is named instead.
  const caFile = join(dir, 'ca.crt');
  const named = openStream(t, { ...passwordAuth(), caPem: readFileSync(caFile, 'utf8'), files: { ca: caFile } });
  await waitFor(() => failures(named).length >= 1, 'a failed attempt');
  await named.stream.stop();
  t.match(failures(named)[0], {
    kind: 'tls',
    reason: `certificate not trusted: Icinga2's certificate chain does not lead to the CA in icinga.ca_file ${caFile}: is it the CA of this Icinga2 (/var/lib/icinga2/certs/ca.crt on the master)? (`,
  });
});

t.test('a wrong password from password_file: the 401 message names the file', async (t) => {
  const { username } = icinga.users.relay;
  const real = openStream(t, { caPem: CA, auth: { method: 'password', username, password: 'not-the-password', passwordFile: '/etc/icinga-relay/password' } });
  await waitFor(() => failures(real).length >= 1, 'a failed attempt');
  await real.stream.stop();
  t.match(failures(real)[0], { kind: 'auth', reason: 'authentication failed (HTTP 401): check icinga.username and the password in icinga.password_file /etc/icinga-relay/password' });
});

t.test('client-certificate authentication works', async (t) => {
  const { certFile, keyFile } = icinga.users.cert;
  const real = openStream(t, { caPem: CA, auth: { method: 'certificate', certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') } });
  await waitFor(() => real.stream.connected, 'connected');
  await expectStateChange(real);
});

t.test('a user allowed only events/* streams; the forbidden status URL (404) still counts as alive', async (t) => {
  const { username, password } = icinga.users.restricted;
  const real = openStream(t, { caPem: CA, auth: { method: 'password', username, password } });
  await waitFor(() => real.stream.connected, 'connected');
  t.match(real.logger.lines.join('\n'), /cannot read \/v1\/status\/IcingaApplication \(HTTP 404\)/);
  await expectStateChange(real);
  t.equal(failures(real).length, 0, 'probes every second did not drop the stream');
});
