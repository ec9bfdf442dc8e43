/**
 * A flood never delays an alert (Slack, against the fake): a real Icinga2, a relay paced at one
 * post a second per channel. U0MALLORY, with no role, sends 500 direct messages and 500 channel
 * messages of unknown and refused commands while web01!http goes CRITICAL. The alert is posted
 * to #ops within one send slot (plus 2 s), none is lost, and U0MALLORY got no more answers than the
 * commands rate allows.
 */
import t from 'tap';
import { DEFAULT_COMMANDS } from '../../src/config/index.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { SlackFake } from '../harness/slack-fake.js';
import { alertUnderFlood, answerBudget, floodLine } from '../helpers/flood.js';
import { relayConfig, slackChat, startedRelay } from './helpers.js';

const SLOT_MS = 1_000;

t.test('500 direct messages and 500 channel messages of unknown and refused commands do not hold back a CRITICAL', async (t) => {
  const [icinga, slack] = await Promise.all([startIcinga2(), SlackFake.start()]);
  t.teardown(() => Promise.all([icinga.destroy(), slack.close()]));
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  const { relay } = await startedRelay(
    t,
    relayConfig(
      icinga,
      `${slackChat(slack.apiUrl)}    rate: { burst: 1, per_second: ${1000 / SLOT_MS} }
`,
    ),
  );
  const alertSeen = () => slack.posted.some((post) => post.channel === 'C0OPS' && /web01!http/.test(post.text ?? '') && /CRITICAL/.test(post.text ?? ''));

  const outcome = await alertUnderFlood(t, {
    relay,
    send: (index, direct) =>
      void (direct
        ? slack.sendMessageEvent({ channel: 'D0MALLORY', channel_type: 'im', user: 'U0MALLORY', text: floodLine(index) })
        : slack.sendMessageEvent({ channel: 'C0OPS', user: 'U0MALLORY', text: `!${floodLine(index)}` })),
    raise: () => icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - flood test'),
    alertSeen,
    isAlert: (message) => message.service === 'http' && message.host === 'web01',
  });
  t.comment(`Slack: the CRITICAL was posted to #ops ${outcome.alertDelayMs} ms after the relay handed it over; ${outcome.answers} answers in ${outcome.floodMs} ms of flood`);
  t.ok(outcome.alertDelayMs <= SLOT_MS + 2_000, `the alert within one send slot plus 2 s (${outcome.alertDelayMs} ms)`);
  t.notOk(slack.posted.some((post) => /alerts? dropped/.test(post.text ?? '')), 'no alert dropped');
  const budget = answerBudget(DEFAULT_COMMANDS.rate, outcome.floodMs);
  t.ok(outcome.answers <= budget, `U0MALLORY got at most the commands rate's worth of answers (${outcome.answers} of at most ${budget}) for 1000 messages`);
  t.match(await relay.metrics.registry.metrics(), /icinga_relay_senders_throttled_total\{backend="slack"\} [1-9]/, 'the throttling shows in /metrics');
});
