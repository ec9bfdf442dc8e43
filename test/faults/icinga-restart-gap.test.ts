/**
 * Icinga2 restarts and states change while the relay cannot reach it (a TCP proxy between them
 * holds the relay's new connections): Icinga2 has no replay, so the events of the gap are gone,
 * and the catch-up after the reconnect must list exactly the changes made in the gap. With a
 * reload (SIGHUP: the stream ends, the API answers again after ~20 ms), a clean stop (SIGTERM),
 * and killed (SIGKILL to the whole daemon: no shutdown, no state saved).
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { waitUntil } from '../commands/helpers.js';
import { connectedRelay, faultRelayConfig, startBlackholeProxy } from '../helpers/faults.js';

for (const how of ['reload', 'stop', 'kill'] as const) {
  t.test(`changes made while Icinga2 restarted out of reach (${how}) come back as one catch-up summary`, async (t) => {
    const icinga = await startIcinga2();
    t.teardown(() => icinga.destroy());
    // Known states before the relay starts, so its first catch-up records them.
    for (const object of ['web01!disk', 'db01!load', 'web02!http']) await icinga.processCheckResult(object, 0, 'OK - before');
    const proxy = await startBlackholeProxy(icinga.port);
    t.teardown(() => proxy.close());

    const { relay, chat, logger, statuses } = await connectedRelay(
      t,
      faultRelayConfig({
        urls: [`https://127.0.0.1:${proxy.port}`],
        caFile: icinga.caFile,
        user: icinga.users.relay,
        extra: `state:\n  dir: ${t.testdir()}\n`,
      }),
    );

    if (how === 'reload') {
      // Icinga2 is back at once: the relay's reconnect must already hang in the proxy when the stream ends.
      proxy.holdNew();
      await icinga.reload();
      await waitUntil(() => statuses.find((status) => status.state === 'disconnected'), 10_000, 'the end of the stream');
    } else {
      await icinga[how]();
      await waitUntil(() => statuses.find((status) => status.state === 'disconnected'), 10_000, 'the end of the stream');
      // From here the relay's attempts hang in the proxy until it forwards again.
      proxy.blackhole();
      await icinga.start();
    }
    const from = chat.sent.length;
    await icinga.processCheckResult('web01!disk', 2, 'DISK CRITICAL - during the gap');
    await icinga.processCheckResult('db01!load', 1, 'LOAD WARNING - during the gap');
    t.equal(relay.stream.connected, false, 'the changes happen while the relay is not connected');

    proxy.restore();
    const summary = await waitUntil(
      () => chat.sent.slice(from).find(({ message }) => message.eventType === 'CatchUp'),
      30_000,
      () => `the catch-up summary; sent:\n${chat.texts(from).join('\n')}\nlog:\n${logger.lines.join('\n')}`,
    );
    t.match(summary.message.text, /^While the Icinga2 stream was down \(.+\): 2 new problems: (web01!disk CRITICAL, db01!load WARNING|db01!load WARNING, web01!disk CRITICAL)$/);
    t.notMatch(summary.message.text, /web02!http/, 'unchanged objects are not listed');
    t.equal(chat.sent.slice(from).filter(({ message }) => message.eventType === 'CatchUp').length, 1, 'one summary');
    t.notOk(
      chat.sent.slice(from).some(({ message }) => message.eventType === 'StateChange'),
      'no live event for the gap: those were lost, the summary stands for them',
    );
  });
}
