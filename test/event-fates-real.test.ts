/**
 * "Where did my alert go?": at debug, one log line per event from a real Icinga2 with what
 * became of it: routed (and what noise control did in each destination) or dropped, and why.
 * With log.deliveries, one info line per message sent.
 */
import t from 'tap';
import { memoryLogger } from '../src/log.js';
import { Relay } from '../src/relay.js';
import { EVENT_WAIT_MS, FakeChatBackend, relayConfig, waitUntil } from './commands/helpers.js';
import { SOFT_SERVICE, startIcinga2 } from './harness/icinga2.js';

t.test('each event logs its fate at debug; each message sent at info with log.deliveries', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const backend = new FakeChatBackend('irc', ['irc:#ops']);
  const logger = memoryLogger('debug');
  const relay = new Relay(relayConfig(icinga, 'log:\n  deliveries: true\n'), { logger, backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => relay.stream.connected || undefined, EVENT_WAIT_MS, 'the event stream');
  await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the first catch-up');
  relay.noise.mutes.add({ destination: 'irc:#ops', pattern: 'web02', until: Date.now() + 600_000, author: 'alice' });

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await icinga.processCheckResult(`web01!${SOFT_SERVICE}`, 2, 'NTP CRITICAL - offset');
  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - full');
  const fates = () => logger.lines.filter((line) => / DEBUG event component=events /.test(line));
  const fateOf = (type: string, object: string) => fates().find((line) => line.includes(`type=${type} object=${object} `));
  await waitUntil(() => fateOf('StateChange', 'web02!disk') && fateOf('StateChange', `web01!${SOFT_SERVICE}`), EVENT_WAIT_MS, () => `the fates; log:\n${logger.lines.join('\n')}`);

  t.match(fateOf('StateChange', 'web01!http'), /fate="routed: irc:#ops passed to the chat backend"$/);
  t.match(fateOf('StateChange', `web01!${SOFT_SERVICE}`), /fate="dropped: SOFT state \(format\.soft_states is off\)"$/);
  t.match(fateOf('StateChange', 'web02!disk'), /fate="routed: irc:#ops dropped: muted"$/);
  // Icinga2 also sends the PROBLEM notification of web01!http: the same change, reported again.
  await waitUntil(() => fateOf('Notification', 'web01!http'), EVENT_WAIT_MS, () => `the notification's fate; log:\n${fates().join('\n')}`);
  t.match(fateOf('Notification', 'web01!http'), /fate="routed: irc:#ops dropped: deduplicated"$/);
  t.notOk(logger.lines.some((line) => line.includes('\\n')), 'no literal \\n in any line');

  const sent = logger.lines.filter((line) => / INFO sent /.test(line));
  t.same(
    sent.map((line) => line.replace(/^.* INFO /, '')),
    ['sent destination=irc:#ops eventType=StateChange text="CRITICAL web01!http: HTTP CRITICAL - refused"'],
    'one info line per message sent, none for what was dropped',
  );
});
