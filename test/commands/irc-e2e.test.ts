/**
 * Chat commands end to end through IRC: a real InspIRCd with Atheme services, a real Icinga2, and
 * a relay with the IRC backend its config names. People are real IRC clients, logged in to a
 * services account with SASL or not: the account is the identity, never the nick.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { acknowledgementOf, EVENT_WAIT_MS, icingaSnapshot, ircChat, linesAfter, relayConfig, REPLY_WAIT_MS, startedRelay, waitUntil } from './helpers.js';

const NICK = 'icinga-relay';

const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
await Promise.all(['alice', 'bob'].map((name) => ircd.registerAccount(name, `${name}-secret`)));
await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');

const config = relayConfig(
  icinga,
  `${ircChat(ircd.port, NICK)}commands:
  # More commands than a person types in a minute.
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "irc:alice": [operator]
`,
);
await startedRelay(t, config);

const login = (name: string) => ({ port: ircd.port, nick: name, account: { name, password: `${name}-secret` } });
// bob has an account but no role; alice_ has no account at all.
const [alice, bob, lookalike] = await Promise.all([login('alice'), login('bob'), { port: ircd.port, nick: 'alice_' }].map(IrcTestClient.connect));
t.teardown(() => Promise.all([alice, bob, lookalike].map((client) => client.quit())));
await Promise.all([alice, bob, lookalike].map((client) => client.join('#ops')));

/** What `nick` said to `target` (a channel, or the client's own nick), as `client` saw it. */
const linesFrom = (client: IrcTestClient, target: string, nick = NICK) => () =>
  client.messages.filter((message) => message.nick === nick && client.client.caseCompare(message.target, target)).map((message) => message.text);
const opsAtBob = linesFrom(bob, '#ops');

t.test('refused: an account without the role, a lookalike nick without an account; nothing changes in Icinga2', async (t) => {
  const before = await icingaSnapshot(icinga);
  t.same(await linesAfter(opsAtBob, () => bob.say('#ops', '!ack web01!http for 1h mine now'), [/ not allowed /]), ['bob is not allowed to run ack']);
  t.same(await linesAfter(opsAtBob, () => lookalike.say('#ops', '!ack web01!http for 1h looking into it'), [/ not allowed /]), [
    'alice_ is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  ]);
  t.same(await icingaSnapshot(icinga), before);
});

t.test('alice, logged in, acks in a private message: the reply to her, the ack in Icinga2, the event in the channel', async (t) => {
  // In the channel itself an ack is answered by its reply alone, its events folded into it (test/problems/one-line-real.test.ts);
  // people elsewhere see the acknowledgement as one line.
  const fromOps = opsAtBob().length;
  const [reply] = await linesAfter(linesFrom(alice, 'alice'), () => alice.say(NICK, 'ack web01!http for 1h looking into it'), [/^acknowledged /]);
  t.equal(reply, 'acknowledged web01!http for 1 hour');
  const event = await waitUntil(() => opsAtBob().slice(fromOps).find((line) => / acknowledged web01!http /.test(line)), EVENT_WAIT_MS, 'the AcknowledgementSet in the channel');
  t.match(event, /^alice \(via irc\) acknowledged web01!http \(sticky, expires in .+\): looking into it$/, 'the AcknowledgementSet event');
  t.same(await acknowledgementOf(icinga, 'web01!http'), { acknowledgement: 2, comments: [{ author: 'alice (via irc)', text: 'looking into it' }] });
});

/** The two lines of `status web01!http`: the state, then the acknowledgement. */
const STATUS_LINES = [/^web01!http is /, /^acknowledged by /];
const STATUS = [/^web01!http is CRITICAL for .+: HTTP CRITICAL - connection refused$/, /^acknowledged by alice \(via irc\) \(expires in .+\): looking into it$/];

t.test('a private message with a bare command is answered privately', async (t) => {
  t.match(await linesAfter(linesFrom(alice, 'alice'), () => alice.say(NICK, 'status web01!http'), STATUS_LINES), STATUS);
  t.notOk(opsAtBob().some((line) => STATUS_LINES[0].test(line)), 'not in the channel');
});

t.test('the relay answers to its nick in the channel', async (t) => {
  t.match(await linesAfter(opsAtBob, () => alice.say('#ops', `${NICK}: status web01!http`), STATUS_LINES), STATUS);
});

t.test('after a nick collision a relay answers to its fallback nick, and not to the nick someone else holds', async (t) => {
  // Another relay with the same config, as after a restart while the server still holds the old connection.
  await startedRelay(t, config);
  const FALLBACK = `${NICK}_`;
  await bob.waitForLine(new RegExp(`^(@\\S+ )?:${FALLBACK}!\\S+ JOIN #ops`));
  const answers = new Map([NICK, FALLBACK].map((nick) => [nick, linesFrom(bob, '#ops', nick)]));
  const before = new Map([...answers].map(([nick, lines]) => [nick, lines().length]));
  // Answers to the commands below, not Icinga2's events.
  const since = (nick: string) => answers.get(nick)!().slice(before.get(nick)).filter((line) => /^(you are|commands you may run|whoami:) /.test(line));
  alice.say('#ops', `${FALLBACK}: whoami`);
  alice.say('#ops', `${NICK}: help`);
  // Both answer the prefix. None of these needs Icinga2, so each relay answers in order: by the
  // time both have answered this one, an answer to a line addressed to the other would be there too.
  alice.say('#ops', '!help whoami');
  const HELP_WHOAMI = 'whoami: shows the identity the relay sees for you, and your roles here.';
  await waitUntil(() => since(NICK).includes(HELP_WHOAMI) && since(FALLBACK).includes(HELP_WHOAMI), REPLY_WAIT_MS, 'both relays answering the prefix');
  t.same(since(FALLBACK), ['you are irc:alice; your roles here: operator', HELP_WHOAMI], `${FALLBACK} answered to its own nick`);
  t.match(since(NICK), [/^commands you may run here: ack, /, HELP_WHOAMI], `${NICK} answered to its own nick only`);
  t.equal(since(NICK).length, 2);
});
