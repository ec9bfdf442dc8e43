/**
 * A fake Icinga2 endpoint (local HTTPS, test CA) whose event stream sends malformed lines, a
 * 10 MB line, truncated JSON and one good event, then closes. The relay skips the bad lines,
 * counts them in /metrics, relays the good event, stays up and reconnects; the 10 MB line is
 * never buffered whole (RSS grows by less than 50 MB).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import type { StreamStatus } from '../../src/icinga/stream.js';
import { makeCertificates } from '../harness/icinga2.js';
import { waitUntil } from '../commands/helpers.js';
import { FakeBackend } from '../helpers/fake-backend.js';
import { faultRelayConfig } from '../helpers/faults.js';

const TEN_MB = 10 * 1024 * 1024;

// A garbage collection on demand, so garbage not yet collected does not count as memory kept.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { rss: number; heap: number } {
  gc();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heap: heapUsed + external + arrayBuffers };
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Writes `chunk`, waiting for the socket to drain when it asks to. */
async function write(response: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
}

t.test('malformed, over-long and truncated lines are skipped and counted; the good event goes out', async (t) => {
  const certDir = await mkdtemp(join(tmpdir(), 'icinga-relay-bad-endpoint-'));
  t.teardown(() => rm(certDir, { recursive: true, force: true }));
  await makeCertificates(certDir, 'relay-client');
  const good = readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8').replace(/\n/g, ' ');
  const sockets = new Set<Socket>();
  const streams: ServerResponse[] = [];
  let after: { rss: number; heap: number } | undefined;
  let before: { rss: number; heap: number } | undefined;

  const sendBadStream = async (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    await write(response, 'this is not json\n');
    await write(response, '["an array", "no type"]\n');
    await write(response, '\n');
    // 10 MB without a newline, in 64 KiB pieces of one reused buffer, then its newline.
    before = memory();
    const piece = Buffer.alloc(64 * 1024, 'x');
    for (let sent = 0; sent < TEN_MB; sent += piece.length) await write(response, piece);
    await write(response, '\n');
    await write(response, '{"type":"StateChange","host":"web02","service":"disk","sta\n');
    await write(response, good + '\n');
    // A last line cut off by the close.
    await write(response, '{"type":"StateChange","host":"db01"');
    response.end();
    // Closing the connection is what ends an Icinga2 stream.
    response.socket?.destroySoon?.();
  };

  const server: Server = createServer({ key: readFileSync(join(certDir, 'localhost.key')), cert: readFileSync(join(certDir, 'localhost.crt')) });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/v1/status/IcingaApplication') {
        json(response, { results: [{ name: 'IcingaApplication', status: { icingaapplication: { app: { program_start: 1795447852.5 } } } }] });
      } else if (request.url?.startsWith('/v1/objects/')) {
        json(response, { results: [] });
      } else if (request.url === '/v1/events') {
        streams.push(response);
        if (streams.length === 1) void sendBadStream(response);
        else {
          // Later streams stay open and idle, like a quiet Icinga2.
          response.writeHead(200, { 'content-type': 'application/json' });
          response.flushHeaders();
        }
      } else {
        response.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as { port: number }).port;

  const logger = memoryLogger();
  const chat = new FakeBackend('irc', ['irc:#ops']);
  const config = faultRelayConfig({
    urls: [`https://127.0.0.1:${port}`],
    caFile: join(certDir, 'ca.crt'),
    user: { username: 'relay', password: 'secret' },
    extra: 'http:\n  listen: 127.0.0.1:0\n',
  });
  const relay = new Relay(config, { logger, backends: [chat] });
  const statuses: StreamStatus[] = [];
  relay.stream.on('status', (status) => {
    statuses.push(status);
    if (status.state === 'disconnected' && after === undefined) after = memory();
  });
  t.teardown(() => relay.stop());
  await relay.start();
  const metricsPort = relay.healthPort!;

  await waitUntil(() => statuses.filter((status) => status.state === 'connected').length >= 2, 20_000, () => `the reconnect after the close; log:\n${logger.lines.join('\n')}`);
  t.match(statuses.find((status) => status.state === 'disconnected'), { kind: 'ended' }, 'the close is a clean end');
  t.equal(streams.length, 2, 'a second stream was opened');

  await waitUntil(() => chat.sent.find(({ message }) => message.eventType === 'StateChange'), 10_000, () => `the good event; sent: ${chat.texts().join(' | ')}`);
  const relayed = chat.sent.filter(({ message }) => message.eventType === 'StateChange');
  t.equal(relayed.length, 1, 'only the good event is relayed');
  t.match(relayed[0]?.message.text, /web01!http/);

  t.same(relay.stream.counters, { events: 1, malformed: 4, overlong: 1, reconnects: 1 }, 'the bad lines are counted, the empty line is not');
  const lines = logger.lines.join('\n');
  t.match(lines, /WARN dropped an over-long line from the event stream component=icinga bytes=10485760 maxLineBytes=8388608/);
  t.match(lines, /WARN malformed line in the event stream component=icinga problem="not valid JSON" excerpt="this is not json"/);
  t.notMatch(lines, /x{300}/, 'the log never holds more than an excerpt');

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.match(metrics, /icinga_relay_stream_lines_skipped_total\{reason="malformed"\} 4/);
  t.match(metrics, /icinga_relay_stream_lines_skipped_total\{reason="overlong"\} 1/);
  t.match(metrics, /icinga_relay_stream_connected 1/, 'connected again');
  const healthz = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
  t.equal(healthz.status, 200, 'healthy after all that');

  t.ok(before && after, 'memory measured before the 10 MB line and after the stream ended');
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const rssGrowth = after!.rss - before!.rss;
  const heapGrowth = after!.heap - before!.heap;
  t.ok(rssGrowth < 50 * 1024 * 1024, `RSS grew by ${mb(rssGrowth)} MB over the 10 MB line (< 50 MB)`);
  t.comment(`heap, external and array buffers right at the end of the stream: +${mb(heapGrowth)} MB`);
  // Once the ended stream's last chunks are released, nothing of the line is kept.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const kept = memory().heap - before!.heap;
  t.ok(kept < 5 * 1024 * 1024, `heap, external and array buffers kept: +${mb(kept)} MB (< 5 MB)`);
});
