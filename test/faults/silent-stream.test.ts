/**
 * A stream that goes silent without closing: a TCP proxy between the relay and a real Icinga2
 * stops forwarding in both directions (open connections and new ones) and closes nothing. The
 * liveness probe (probe_interval 2s, request_timeout 3s) times out, the relay drops the stream and says why; once
 * the proxy forwards again it reconnects and events flow again.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { EVENT_WAIT_MS, waitUntil } from '../commands/helpers.js';
import { connectedRelay, faultRelayConfig, startBlackholeProxy } from '../helpers/faults.js';

t.test('a silent stream is detected by the probe, dropped and reconnected', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const proxy = await startBlackholeProxy(icinga.port);
  t.teardown(() => proxy.close());

  const { relay, chat, logger, statuses, connections } = await connectedRelay(
    t,
    faultRelayConfig({
      urls: [`https://127.0.0.1:${proxy.port}`],
      caFile: icinga.caFile,
      user: icinga.users.relay,
      icinga: ['probe_interval: 2s', 'request_timeout: 3s'],
    }),
  );

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - before');
  await waitUntil(() => chat.texts().find((text) => text.includes('web01!http')), EVENT_WAIT_MS, 'an event through the proxy');

  proxy.blackhole();
  const silentAt = Date.now();
  // Probe after <= 2 s, no answer within the 3 s request timeout.
  const dropped = await waitUntil(
    () => statuses.find((status) => status.state === 'disconnected'),
    20_000,
    () => `the silent stream to be dropped; log:\n${logger.lines.join('\n')}`,
  );
  t.comment(`detected after ${Date.now() - silentAt} ms (probe interval 2 s + request timeout 3 s)`);
  t.match(dropped, { state: 'disconnected', kind: 'probe', reason: /^liveness probe failed: no answer from Icinga2 within 3000 ms$/ }, 'dropped by the probe, not by a close');
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
