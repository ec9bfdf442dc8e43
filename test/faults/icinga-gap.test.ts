/**
 * Icinga2 stopped and started again under a running relay (with a state directory): the relay
 * sees the clean end, retries, is connected again within a few seconds of Icinga2 answering,
 * and relays the changes made right after the restart.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import type { StreamStatus } from '../../src/icinga/stream.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { EVENT_WAIT_MS, FakeChatBackend, relayConfig, waitUntil } from '../commands/helpers.js';

t.test('Icinga2 stop and start: reconnected within seconds, later changes relayed', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const stateDir = t.testdir();
  const logger = memoryLogger();
  const chat = new FakeChatBackend('irc', ['irc:#ops']);
  const relay = new Relay(relayConfig(icinga, `state:\n  dir: ${stateDir}\n`), { logger, backends: [chat] });
  const statuses: StreamStatus[] = [];
  relay.stream.on('status', (status) => statuses.push(status));
  const connections = () => statuses.filter((status) => status.state === 'connected').length;
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => connections() === 1, EVENT_WAIT_MS, () => `the stream; log:\n${logger.lines.join('\n')}`);
  await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the first catch-up');

  await icinga.stop();
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
