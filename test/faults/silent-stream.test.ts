/**
 * A stream that goes silent without closing: a TCP proxy between the relay and a real Icinga2
 * stops forwarding in both directions (open connections and new ones) and closes nothing. The
 * liveness probe (probe_interval 2s) times out, the relay drops the stream and says why; once
 * the proxy forwards again it reconnects and events flow again.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import type { StreamStatus } from '../../src/icinga/stream.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { EVENT_WAIT_MS, FakeChatBackend, waitUntil } from '../commands/helpers.js';
import { faultRelayConfig, startBlackholeProxy } from '../helpers/faults.js';

t.test('a silent stream is detected by the probe, dropped and reconnected', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const proxy = await startBlackholeProxy(icinga.port);
  t.teardown(() => proxy.close());

  const logger = memoryLogger();
  const chat = new FakeChatBackend('irc', ['irc:#ops']);
  const config = faultRelayConfig({
    urls: [`https://127.0.0.1:${proxy.port}`],
    caFile: icinga.caFile,
    user: icinga.users.relay,
    icinga: ['probe_interval: 2s'],
  });
  const relay = new Relay(config, { logger, backends: [chat] });
  const statuses: StreamStatus[] = [];
  relay.stream.on('status', (status) => statuses.push(status));
  const connections = () => statuses.filter((status) => status.state === 'connected').length;
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => connections() === 1, EVENT_WAIT_MS, () => `the stream through the proxy; log:\n${logger.lines.join('\n')}`);
  await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the first catch-up');

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - before');
  await waitUntil(() => chat.texts().find((text) => text.includes('web01!http')), EVENT_WAIT_MS, 'an event through the proxy');

  proxy.blackhole();
  const silentAt = Date.now();
  // Probe after <= 2 s, no answer within the 10 s request timeout.
  const dropped = await waitUntil(
    () => statuses.find((status) => status.state === 'disconnected'),
    20_000,
    () => `the silent stream to be dropped; log:\n${logger.lines.join('\n')}`,
  );
  const detectedAfterMs = Date.now() - silentAt;
  t.match(dropped, { state: 'disconnected', kind: 'probe', reason: /^liveness probe failed: no answer from Icinga2 within \d+ ms$/ }, 'dropped by the probe, not by a close');
  t.ok(detectedAfterMs < 16_000, `detected within the probe interval plus the request timeout (${detectedAfterMs} ms)`);
  t.match(logger.lines.join('\n'), /WARN .*liveness probe failed: no answer from Icinga2/, 'said in the log');
  t.equal(relay.stream.connected, false);

  proxy.restore();
  await waitUntil(() => connections() === 2, 20_000, () => `the reconnect; log:\n${logger.lines.join('\n')}`);
  t.equal(relay.stream.connected, true);
  t.ok(relay.stream.counters.reconnects >= 1, 'counted as a reconnect');

  const from = chat.sent.length;
  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - after');
  const after = await waitUntil(
    () => chat.texts(from).find((text) => text.includes('web02!disk') && text.includes('DISK CRITICAL - after')),
    EVENT_WAIT_MS,
    () => `the event after the reconnect; sent:\n${chat.texts(from).join('\n')}`,
  );
  t.ok(after, 'events arrive again');
});
