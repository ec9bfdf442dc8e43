/**
 * Icinga2 stopped (SIGTERM) or killed (SIGKILL to the whole daemon) and started again under a
 * running relay (with a state directory): the relay sees the end, retries, is connected again
 * within a few seconds of Icinga2 answering, and relays the changes made right after the restart.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { EVENT_WAIT_MS, relayConfig, waitUntil } from '../commands/helpers.js';
import { connectedRelay } from '../helpers/faults.js';

for (const how of ['stop', 'kill'] as const) {
  t.test(`Icinga2 ${how} and start: reconnected within seconds, later changes relayed`, async (t) => {
    const icinga = await startIcinga2();
    t.teardown(() => icinga.destroy());
    const stateDir = t.testdir();
    const { relay, chat, logger, statuses, connections } = await connectedRelay(t, relayConfig(icinga, `state:\n  dir: ${stateDir}\n`));

    await icinga[how]();
    await waitUntil(() => statuses.find((status) => status.state === 'disconnected'), 10_000, 'the end of the stream');
    t.equal(relay.stream.connected, false, 'not connected while Icinga2 is down');
    await icinga.start();
    const backAt = Date.now();
    await waitUntil(() => connections() === 2, 15_000, () => `the reconnect; log:\n${logger.lines.join('\n')}`);
    const reconnectMs = Date.now() - backAt;
    // reconnect: { min: 1s, max: 2s }: at most one backoff delay after Icinga2 answers again.
    t.ok(reconnectMs < 5_000, `reconnected ${reconnectMs} ms after Icinga2 answered again (< 5 s)`);
    await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the catch-up after the reconnect');

    const from = chat.sent.length;
    await icinga.processCheckResult('web01!disk', 2, 'DISK CRITICAL - after restart');
    await icinga.processCheckResult('db01!load', 1, 'LOAD WARNING - after restart');
    const has = (object: string, output: string) => chat.texts(from).some((text) => text.includes(object) && text.includes(output));
    await waitUntil(
      () => has('web01!disk', 'DISK CRITICAL - after restart') && has('db01!load', 'LOAD WARNING - after restart'),
      EVENT_WAIT_MS,
      () => `both changes; sent:\n${chat.texts(from).join('\n')}`,
    );
    t.pass('both changes made after the restart were relayed');
    t.notOk(chat.sent.slice(from).some(({ message }) => message.eventType === 'CatchUp'), 'nothing changed during the gap: no summary');
  });
}
