/**
 * Catch-up against a real Icinga2: a relay restarted with the same state directory reports
 * exactly the changes made while it was stopped; a reload of Icinga2 with states changed just
 * before it reports each change once, live or in the summary, never both.
 */
import t, { type Test } from 'tap';
import { memoryLogger } from '../src/log.js';
import { Relay } from '../src/relay.js';
import { startIcinga2, type Icinga2Instance } from './harness/icinga2.js';
import { EVENT_WAIT_MS, FakeChatBackend, relayConfig, waitUntil } from './commands/helpers.js';

async function startRelay(t: Test, icinga: Icinga2Instance, stateDir: string, extraYaml = '') {
  const logger = memoryLogger();
  const chat = new FakeChatBackend('irc', ['irc:#ops']);
  const relay = new Relay(relayConfig(icinga, `state:\n  dir: ${stateDir}\n${extraYaml}`), { logger, backends: [chat] });
  let connections = 0;
  relay.stream.on('status', (status) => {
    if (status.state === 'connected') connections += 1;
  });
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => connections > 0, EVENT_WAIT_MS, () => `the event stream; the log:\n${logger.lines.join('\n')}`);
  // The first catch-up runs on connect; wait until it has read the states.
  await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the first catch-up');
  return { relay, chat, logger, connections: () => connections };
}

t.test('restart with the same state directory, and an Icinga2 reload', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const stateDir = t.testdir();
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  await icinga.processCheckResult('web02!load', 0, 'LOAD OK');
  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL');

  const first = await startRelay(t, icinga, stateDir);
  t.same(first.chat.texts(), [], 'the first start records silently');
  await icinga.processCheckResult('db01!disk', 0, 'DISK OK');
  await waitUntil(() => first.chat.texts().find((text) => text.includes('db01!disk')), EVENT_WAIT_MS, 'the live recovery');
  await first.relay.stop();

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await icinga.processCheckResult('web02!load', 1, 'LOAD WARNING');

  const second = await startRelay(t, icinga, stateDir);
  const summaries = second.chat.sent.filter(({ message }) => message.eventType === 'CatchUp');
  t.equal(summaries.length, 1, 'one summary for the one destination');
  t.match(summaries[0]?.message.text, /^While the relay was stopped \(\d+ s\): 2 new problems: web01!http CRITICAL, web02!load WARNING$/);
  t.equal(summaries[0]?.message.severity, 'critical');

  // States changed right before a reload: each change is reported once, live or in the summary.
  const from = second.chat.sent.length;
  await icinga.processCheckResult('web02!http', 2, 'HTTP CRITICAL - timeout');
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  await icinga.reload();
  await waitUntil(() => (second.connections() >= 2 ? true : undefined), EVENT_WAIT_MS, 'the reconnect after the reload');
  const reported = (object: string) => second.chat.texts(from).filter((text) => new RegExp(`${object.replace('!', '\\!')}\\b`).test(text));
  await waitUntil(() => (reported('web02!http').length > 0 && reported('web01!http').length > 0 ? true : undefined), EVENT_WAIT_MS, () => `both changes; sent:\n${second.chat.texts(from).join('\n')}`);
  // Late events of 2.13's 5-second ticks would show up within this.
  await new Promise((resolve) => setTimeout(resolve, 7000));
  t.equal(reported('web02!http').length, 1, `web02!http once: ${second.chat.texts(from).join(' | ')}`);
  t.equal(reported('web01!http').length, 1, `web01!http once: ${second.chat.texts(from).join(' | ')}`);
});

t.test('the catch-up summary after a restart leaves out what is muted in the destination, and says so', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const stateDir = t.testdir();
  const noise = `noise:\n  state_file: ${stateDir}/mutes.json\n`;
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  await icinga.processCheckResult('db01!disk', 0, 'DISK OK');
  const first = await startRelay(t, icinga, stateDir, noise);
  // As `!mute web01 for 1m` does; the state file keeps it across the restart.
  first.relay.noise.mutes.add({ destination: 'irc:#ops', pattern: 'web01', until: Date.now() + 60_000, author: 'alice' });
  await first.relay.stop();

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL');

  const second = await startRelay(t, icinga, stateDir, noise);
  const summaries = second.chat.sent.filter(({ message }) => message.eventType === 'CatchUp');
  t.equal(summaries.length, 1);
  t.match(summaries[0]?.message.text, /^While the relay was stopped \(\d+ s\), leaving out 1 muted: 1 new problem: db01!disk CRITICAL$/);
  t.notMatch(summaries[0]?.message.text, /web01/, 'the muted object is not named');
});
