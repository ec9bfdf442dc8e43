/** /healthz and /metrics (src/health.ts): the listener on its own with fakes, and wired into a Relay. */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import t from 'tap';
import { parseConfig } from '../src/config/index.js';
import { HealthServer, healthReport, RelayMetrics, type HealthLimits, type HealthSources } from '../src/health.js';
import type { IcingaEvent } from '../src/icinga/event-types.js';
import { memoryLogger } from '../src/log.js';
import { Relay } from '../src/relay.js';
import { chat, FakeChatBackend, waitUntil } from './commands/helpers.js';
import { FakeClock } from './helpers/fake-clock.js';

const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as IcingaEvent;

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

function fakeSources() {
  const stream = { connected: true, url: 'https://icinga-a:5665', counters: { events: 0, malformed: 0, overlong: 0, reconnects: 0 } };
  const irc = new FakeChatBackend('irc', ['irc:#ops']);
  const slack = new FakeChatBackend('slack', ['slack:#ops']);
  const sources: HealthSources = { stream, backends: [irc, slack] };
  return { stream, irc, slack, sources };
}

t.test('/healthz: 200 while the stream and every backend are up, 503 as soon as one is not', async (t) => {
  const { stream, irc, sources } = fakeSources();
  const server = new HealthServer({ host: '127.0.0.1', port: 0, sources, metrics: new RelayMetrics(sources), logger: memoryLogger() });
  const port = await server.start();
  t.teardown(() => server.stop());
  t.not(port, 0, 'port 0 picks a free port');

  let answer = await get(port, '/healthz');
  t.equal(answer.status, 200);
  t.match(answer.type, /^application\/json/);
  t.same(JSON.parse(answer.text), {
    healthy: true,
    stream: { connected: true, url: 'https://icinga-a:5665' },
    backends: { irc: { connected: true }, slack: { connected: true } },
  });

  irc.connected = false;
  answer = await get(port, '/healthz');
  t.equal(answer.status, 503, 'a backend down');
  t.match(JSON.parse(answer.text), { healthy: false, backends: { irc: { connected: false }, slack: { connected: true } } });

  irc.connected = true;
  stream.connected = false;
  answer = await get(port, '/healthz');
  t.equal(answer.status, 503, 'the stream down');
  t.match(JSON.parse(answer.text), { healthy: false, stream: { connected: false } });

  stream.connected = true;
  t.equal((await get(port, '/healthz')).status, 200, 'and back');
  t.equal((await get(port, '/healthz', 'HEAD')).status, 200);
  t.equal((await get(port, '/nope')).status, 404);
  t.equal((await get(port, '/healthz', 'POST')).status, 405);
});

/** A raw TCP connection to the listener, with what it received and whether the server closed it. */
async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  const state = { received: '', closed: false };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (state.received += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => (state.closed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, state, closed };
}

t.test('the listener cuts off clients that hold it: trickled headers, silence, too many connections', async (t) => {
  const { sources } = fakeSources();
  const start = async (limits: HealthLimits) => {
    const server = new HealthServer({ host: '127.0.0.1', port: 0, sources, metrics: new RelayMetrics(sources), logger: memoryLogger(), limits });
    t.teardown(() => server.stop());
    return server.start();
  };
  const short = await start({ maxConnections: 16, headersTimeoutMs: 300, requestTimeoutMs: 300, idleTimeoutMs: 300 });
  const trickle = await rawConnection(short);
  trickle.socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ');
  const silent = await rawConnection(short);
  // Both closed by the server (the test's own timeout is the bound, not a measured time).
  await Promise.all([trickle.closed, silent.closed]);
  // Closed without a word, or with a 408, whichever of Node's timers comes first.
  t.match(trickle.state.received, /^(HTTP\/1\.1 408 [^]*)?$/, 'no answer to an unfinished request');
  t.match(silent.state.received, /^(HTTP\/1\.1 408 [^]*)?$/);
  t.equal((await get(short, '/healthz')).status, 200, 'the listener still answers');

  const capped = await start({ maxConnections: 3, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
  const held = [await rawConnection(capped), await rawConnection(capped), await rawConnection(capped)];
  const extra = await rawConnection(capped);
  await extra.closed;
  t.equal(extra.state.received, '', 'one connection too many is closed without a word');
  t.same(held.map((connection) => connection.state.closed), [false, false, false], 'the others stay');
  for (const connection of held) connection.socket.destroy();
  await Promise.all(held.map((connection) => connection.closed));
  // The server learns of the closes asynchronously.
  await waitUntil(async () => (await get(capped, '/healthz').catch(() => undefined))?.status === 200 || undefined, 5_000, 'an answer once they are gone');

  const headers = await rawConnection(short);
  headers.socket.write(`GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: ${'x'.repeat(8_000)}\r\n\r\n`);
  await headers.closed;
  t.match(headers.state.received, /^HTTP\/1\.1 431 /, 'headers over 4 KiB are refused');
});

t.test('healthReport without backends depends on the stream alone', async (t) => {
  const { stream } = fakeSources();
  t.equal(healthReport({ stream, backends: [] }).healthy, true);
  stream.connected = false;
  t.equal(healthReport({ stream, backends: [] }).healthy, false);
});

t.test('/metrics: per-relay registry, scrape-time values, and the stream counters as deltas', async (t) => {
  const { stream, irc, sources } = fakeSources();
  const metrics = new RelayMetrics(sources);
  const other = new RelayMetrics(sources);
  t.not(metrics.registry, other.registry, 'two relays in one process do not collide');
  irc.connected = false;
  stream.counters.malformed = 2;
  let text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_stream_connected 1/);
  t.match(text, /icinga_relay_backend_connected\{backend="irc"\} 0/);
  t.match(text, /icinga_relay_backend_connected\{backend="slack"\} 1/);
  t.match(text, /icinga_relay_queue_depth\{queue="backend:irc"\} 0/);
  t.match(text, /icinga_relay_stream_lines_skipped_total\{reason="malformed"\} 2/);
  stream.counters.malformed = 5;
  stream.counters.overlong = 1;
  text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_stream_lines_skipped_total\{reason="malformed"\} 5/);
  t.match(text, /icinga_relay_stream_lines_skipped_total\{reason="overlong"\} 1/);
  metrics.messageSent('irc:#ops', true, -3);
  metrics.noiseCount('irc:#ops', 'grouped', 0);
  text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_delivery_lag_seconds_bucket\{le="0.1",destination="irc:#ops"\} 1/, 'a clock skew counts as no lag');
  t.notMatch(text, /kind="grouped"/, 'nothing counted for nothing');
});

t.test('/metrics: reconnects of the stream and of each chat backend, and messages dropped from full queues', async (t) => {
  const { stream, irc, slack, sources } = fakeSources();
  const counting = Object.assign(irc, { counters: { reconnects: 0, droppedMessages: 0, droppedReplies: 0 } });
  const metrics = new RelayMetrics(sources);
  stream.counters.reconnects = 3;
  counting.counters.reconnects = 2;
  counting.counters.droppedMessages = 40;
  let text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_reconnects_total\{component="icinga"\} 3/);
  t.match(text, /icinga_relay_reconnects_total\{component="irc"\} 2/);
  t.match(text, /icinga_relay_messages_dropped_total\{backend="irc"\} 40/);
  t.notMatch(text, /component="slack"/, 'a backend without counters has none');
  t.equal(slack.name, 'slack');

  counting.counters.reconnects = 5;
  text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_reconnects_total\{component="irc"\} 5/, 'running totals are added once, not again on each scrape');

  // A reload makes the backend anew: its totals start from zero and add on to the counter.
  const remade = Object.assign(new FakeChatBackend('irc', ['irc:#ops']), { counters: { reconnects: 1, droppedMessages: 0, droppedReplies: 0 } });
  sources.backends = [remade, slack];
  text = await metrics.registry.metrics();
  t.match(text, /icinga_relay_reconnects_total\{component="irc"\} 6/);
  t.match(text, /icinga_relay_messages_dropped_total\{backend="irc"\} 40/);
});

t.test('a Relay with an http section serves its metrics; events, deliveries, noise and commands are counted', async (t) => {
  const { config } = parseConfig(
    [
      'icinga:',
      '  url: [https://127.0.0.1:1, https://127.0.0.1:2]',
      '  username: u',
      '  password: p',
      '  reconnect: { min: 10s, max: 10s }',
      'http:',
      '  listen: 127.0.0.1:0',
    ].join('\n'),
    { env: {} },
  );
  t.same(config.http, { host: '127.0.0.1', port: 0 });
  const backend = new FakeChatBackend('irc', ['irc:#ops']);
  const clock = new FakeClock();
  const relay = new Relay(config, { logger: memoryLogger(), clock, random: () => 0.5, backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  const port = relay.healthPort!;
  t.ok(port > 0);

  const critical = fixture('StateChange-service-critical');
  relay.stream.emit('event', critical, clock.now());
  // The same change again: dropped by dedup.
  relay.stream.emit('event', critical, clock.now());
  backend.write(chat('!help', 'console'));
  backend.write(chat('!recheck web01', 'console'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(backend.sent.length >= 3, 'the event and the help and recheck replies went out');

  const healthz = await get(port, '/healthz');
  t.equal(healthz.status, 503, 'the stream is not connected (nothing listens on the Icinga2 URLs)');
  t.match(JSON.parse(healthz.text), { stream: { connected: false }, backends: { irc: { connected: true } } });

  const metrics = await get(port, '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  t.match(metrics.text, /icinga_relay_events_received_total\{type="StateChange"\} 2/);
  t.match(metrics.text, /icinga_relay_messages_sent_total\{destination="irc:#ops",result="sent"\} [2-9]/);
  t.match(metrics.text, /icinga_relay_noise_events_total\{destination="irc:#ops",kind="deduplicated"\} 1/);
  t.match(metrics.text, /icinga_relay_commands_total\{outcome="\w+",command="help"\} 1/);
  t.match(metrics.text, /icinga_relay_delivery_lag_seconds_count\{destination="irc:#ops"\} 1/, 'the reply has no lag, the event has');
  t.match(metrics.text, /icinga_relay_queue_depth\{queue="backend:irc"\} 0/);
  t.match(metrics.text, /icinga_relay_stream_connected 0/);
  t.match(metrics.text, /icinga_relay_icinga_api_request_seconds_count\{result="no-answer"\} 1/, 'the recheck found nothing listening');
  t.match(metrics.text, /icinga_relay_queue_depth\{queue="noise"\} 0/, 'noise control reports its queue');

  await relay.stop();
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the listener stops with the relay');
});

t.test('http.listen is checked', async (t) => {
  const parse = (listen: string) =>
    parseConfig(`icinga:\n  url: https://127.0.0.1:1\n  username: u\n  password: p\nhttp:\n  listen: "${listen}"\n`, { env: {} }).config.http;
  t.same(parse('[::1]:9121'), { host: '::1', port: 9121 });
  t.same(parseConfig('icinga:\n  url: https://127.0.0.1:1\n  username: u\n  password: p\nhttp:\n', { env: {} }).config.http, { host: '127.0.0.1', port: 9120 }, 'loopback by default');
  t.equal(parseConfig('icinga:\n  url: https://127.0.0.1:1\n  username: u\n  password: p\n', { env: {} }).config.http, undefined, 'off when absent');
  t.throws(() => parse('9120'), /expected host:port/);
  t.throws(() => parse('localhost:99999'), /expected host:port/);
});

t.test('noise control reports what it grouped and suppressed (onCount)', async (t) => {
  const { NoiseControl } = await import('../src/noise/index.js');
  const { DEFAULT_NOISE } = await import('../src/config/index.js');
  const { stateChange } = await import('./helpers/noise.js');
  const clock = new FakeClock();
  const counts: Record<string, number> = {};
  const noise = new NoiseControl(
    {
      ...DEFAULT_NOISE,
      rate: { burst: 1, perSecond: 0.001 },
      queueSize: 1,
      width: 400,
      deliver: () => {},
      onCount: (destination, kind, events) => (counts[`${destination} ${kind}`] = (counts[`${destination} ${kind}`] ?? 0) + events),
    },
    { clock, logger: memoryLogger() },
  );
  t.teardown(() => noise.close());
  // One alone (passes), then a burst of 5 on one host: one grouped line (waits in the queue)...
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  for (const service of ['a', 'b', 'c', 'd', 'e']) noise.submit('irc:#ops', stateChange(`db01!${service}`, 'CRITICAL'));
  clock.advance(DEFAULT_NOISE.storm.windowMs);
  t.equal(counts['irc:#ops grouped'], 5);
  // ... and more than the queue holds: counted into a suppression notice, told when it goes out.
  for (let i = 1; i <= 3; i++) {
    noise.submit('irc:#ops', stateChange(`web0${i + 1}!disk`, 'WARNING'));
    clock.advance(DEFAULT_NOISE.storm.windowMs);
  }
  clock.advance(3_600_000);
  t.equal(counts['irc:#ops suppressed'], 3);
});
