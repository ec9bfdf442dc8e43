/**
 * Chat commands end to end through Slack: the Slack fake (its Web API and Socket Mode, as Slack
 * speaks them), a real Icinga2, and a relay with the Slack backend its config names. People are
 * Slack user IDs; bots never reach the commands.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { FAKE_BOT_USER_ID, SlackFake, type MessageEventFields } from '../harness/slack-fake.js';
import { acknowledgementOf, EVENT_WAIT_MS, icingaSnapshot, linesAfter, relayConfig, slackChat, startedRelay, waitUntil } from './helpers.js';

/** The fake's #ops, and its direct conversation with U0ALICE. */
const OPS = 'C0OPS';
const ALICE_IM = 'D0ALICE';

const [icinga, slack] = await Promise.all([startIcinga2(), SlackFake.start()]);
t.teardown(() => Promise.all([icinga.destroy(), slack.close()]));
await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');
await startedRelay(
  t,
  relayConfig(
    icinga,
    `${slackChat(slack.apiUrl)}    rate: { burst: 100, per_second: 100 }
commands:
  # More commands than a person types in a minute.
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "slack:U0ALICE": [operator]
    # Granted by mistake: a bot still never runs a command.
    "slack:U0CIBOT": [operator]
  authors:
    "slack:U0ALICE": Alice Example
`,
  ),
);

const postedIn = (channel: string) => () => slack.posted.filter((post) => post.channel === channel).map((post) => post.text ?? '');
const opsPosts = postedIn(OPS);
/** Someone (or some bot) writing in a channel, as the fake delivers it over Socket Mode. */
const say = (fields: Partial<MessageEventFields> & { text: string }, channel = OPS) => () => slack.sendMessageEvent({ ...fields, channel });

t.test('refused: a user without the role; bot messages never reach the commands; nothing changes in Icinga2', async (t) => {
  const before = await icingaSnapshot(icinga);
  const from = opsPosts().length;
  say({ user: 'U0CIBOT', bot_id: 'B0CI', text: '!ack web01!http for 1h deploy pipeline' })();
  say({ subtype: 'bot_message', bot_id: 'B0HOOK', text: '!ack web01!http for 1h from a webhook' })();
  t.same(await linesAfter(opsPosts, say({ user: 'U0BOB', text: '!ack web01!http for 1h mine now' }), [/ not allowed /]), ['U0BOB is not allowed to run ack']);
  await slack.waitFor(() => slack.unacked().length === 0, "every envelope acked, the bots' too");
  // Answers to commands, not Icinga2's events (the notification about web01!http may still come).
  const answers = opsPosts().slice(from).filter((text) => / not allowed |^acknowledged /.test(text));
  t.same(answers, ['U0BOB is not allowed to run ack'], 'no answer to the bots');
  t.same(await icingaSnapshot(icinga), before);
});

t.test('alice acks in a direct message: the reply to her, the ack in Icinga2 by her configured name, the event in the channel', async (t) => {
  // In the channel itself an ack is answered by its reply alone, its events folded into it (test/problems/one-line-real.test.ts);
  // people elsewhere see the acknowledgement as one line.
  const fromOps = opsPosts().length;
  const [reply] = await linesAfter(postedIn(ALICE_IM), say({ user: 'U0ALICE', text: 'ack web01!http for 1h looking into it', channel_type: 'im' }, ALICE_IM), [/^acknowledged /]);
  t.equal(reply, 'acknowledged web01!http for 1 hour');
  const event = await waitUntil(() => opsPosts().slice(fromOps).find((line) => / acknowledged web01!http /.test(line)), EVENT_WAIT_MS, 'the AcknowledgementSet in the channel');
  t.match(event, /^Alice Example acknowledged web01!http \(sticky, expires in .+\): looking into it$/, 'the AcknowledgementSet event');
  t.same(await acknowledgementOf(icinga, 'web01!http'), { acknowledgement: 2, comments: [{ author: 'Alice Example', text: 'looking into it' }] });
});

/** The two lines of `status web01!http`: the state, then the acknowledgement. */
const STATUS_LINES = [/^web01!http is /, /^acknowledged by /];
const STATUS = [/^web01!http is CRITICAL for .+: HTTP CRITICAL - connection refused$/, /^acknowledged by Alice Example \(expires in .+\): looking into it$/];

t.test('a direct message with a bare command is answered in the direct conversation', async (t) => {
  const direct = say({ user: 'U0ALICE', text: 'status web01!http', channel_type: 'im' }, ALICE_IM);
  t.match(await linesAfter(postedIn(ALICE_IM), direct, STATUS_LINES), STATUS);
  t.notOk(opsPosts().some((text) => STATUS_LINES[0].test(text)), 'not in the channel');
});

t.test('a mention of the bot user addresses the relay; a mention of someone else does not', async (t) => {
  const mention = `<@${FAKE_BOT_USER_ID}>`;
  t.match(await linesAfter(opsPosts, say({ user: 'U0ALICE', text: `${mention} status web01!http` }), STATUS_LINES), STATUS);
  const from = opsPosts().length;
  const HELP_WHOAMI = 'whoami: shows the identity the relay sees for you, and your roles here.';
  say({ user: 'U0ALICE', text: '<@U0BOB> whoami' })();
  // Neither needs Icinga2, so the relay answers in order: an answer to the line for bob would come first.
  await linesAfter(opsPosts, say({ user: 'U0ALICE', text: `${mention}: help whoami` }), [/^whoami: /]);
  // Icinga2's events come to the channel too.
  t.same(opsPosts().slice(from).filter((text) => /^(you are|whoami:) /.test(text)), [HELP_WHOAMI]);
});
