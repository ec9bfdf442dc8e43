/**
 * Chat commands end to end through XMPP: a real Prosody, a real Icinga2, and a relay with the XMPP
 * backend its config names. People are real XMPP clients; in a room the identity is the real JID
 * the room shows for an occupant, never the nick.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { MUC_DOMAIN, startProsody, startWatcher, type ReceivedMessage, type XmppWatcher } from '../harness/prosody.js';
import { acknowledgementOf, EVENT_WAIT_MS, icingaSnapshot, linesAfter, relayConfig, REPLY_WAIT_MS, startedRelay, waitUntil } from './helpers.js';

const NICK = 'icinga-relay';
const OPS = `ops@${MUC_DOMAIN}`;
/** A room where someone else holds the relay's nick. */
const CROWDED = `crowded@${MUC_DOMAIN}`;

const [icinga, prosody] = await Promise.all([startIcinga2(), startProsody({ accounts: ['relay', 'alice', 'bob', 'mallory'] })]);
t.teardown(() => Promise.all([icinga.destroy(), prosody.destroy()]));
await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');
const { relay: relayAccount } = prosody.accounts;
const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map((name) => startWatcher(prosody, prosody.accounts[name])));
t.teardown(() => Promise.all([alice, bob, mallory].map((watcher) => watcher.stop())));
// bob is there first: a room he creates keeps Prosody's defaults, which hide real JIDs from the relay.
await bob.join(CROWDED, NICK);

await startedRelay(
  t,
  relayConfig(
    icinga,
    `chat:
  xmpp:
    service: ${prosody.service}
    jid: ${relayAccount.jid}
    password: ${relayAccount.password}
    allow_plaintext: true
    nick: ${NICK}
    rooms: [${OPS}, ${CROWDED}]
    rate: { burst: 100, per_second: 100 }
commands:
  # More commands than a person types in a minute.
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "xmpp:${alice.account.jid}": [operator]
`,
  ),
);
// mallory takes alice's nick while she is not in the room.
await Promise.all([bob.join(OPS, 'bob'), mallory.join(OPS, 'alice')]);

/** Live (not history) messages `watcher` received from `from` (room/nick, or a full JID) of this type. */
const linesFrom = (watcher: XmppWatcher, from: string, type: ReceivedMessage['type'] = 'groupchat') => () =>
  watcher.messages.filter((message) => message.from === from && message.type === type && !message.delayed).map((message) => message.text);
const opsAtBob = linesFrom(bob, `${OPS}/${NICK}`);

t.test('refused: a JID without the role, and mallory under the nick alice; nothing changes in Icinga2', async (t) => {
  const before = await icingaSnapshot(icinga);
  t.same(await linesAfter(opsAtBob, () => bob.sayInRoom(OPS, '!ack web01!http for 1h mine now'), [/ not allowed /]), ['bob is not allowed to run ack']);
  t.same(await linesAfter(opsAtBob, () => mallory.sayInRoom(OPS, '!ack web01!http for 1h looking into it'), [/ not allowed /]), ['alice is not allowed to run ack']);
  t.same(await linesAfter(opsAtBob, () => mallory.sayInRoom(OPS, '!whoami'), [/^you are /]), ['you are xmpp:mallory@localhost; your roles here: none'], 'the nick alice is mallory');
  t.same(await icingaSnapshot(icinga), before);
  // stop() returns once the server has closed her session, and with it her place in the room.
  await mallory.stop();
  // Under a room nick of her choosing: Icinga2 must still record who she is.
  await alice.join(OPS, 'ally');
});

/** The author Icinga2 records for alice, wherever she writes: her bare JID, never a nick. */
const ALICE = `${alice.account.jid} (via xmpp)`;
const ALICE_PATTERN = ALICE.replace(/[.()]/g, '\\$&');

t.test('alice acks in the room as ally: the reply, the ack in Icinga2 under her JID', async (t) => {
  // In the room itself the reply alone answers it, its events folded into it (test/problems/one-line-real.test.ts).
  const [reply] = await linesAfter(opsAtBob, () => alice.sayInRoom(OPS, '!ack web01!http for 1h looking into it'), [/^acknowledged /]);
  t.equal(reply, 'acknowledged web01!http for 1 hour');
  t.same(await acknowledgementOf(icinga, 'web01!http'), { acknowledgement: 2, comments: [{ author: ALICE, text: 'looking into it' }] });
});

t.test('by direct message Icinga2 records the same author as in the room; the room sees the acknowledgement as one line', async (t) => {
  const inChat = linesFrom(alice, `${relayAccount.jid}/${NICK}`, 'chat');
  const fromOps = opsAtBob().length;
  t.same(await linesAfter(inChat, () => alice.sayTo(relayAccount.jid, 'unack web01!http'), [/acknowledgement/]), ['removed the acknowledgement of web01!http']);
  t.same(await linesAfter(inChat, () => alice.sayTo(relayAccount.jid, 'ack web01!http for 1h looking into it'), [/^acknowledged /]), ['acknowledged web01!http for 1 hour']);
  t.same(await acknowledgementOf(icinga, 'web01!http'), { acknowledgement: 2, comments: [{ author: ALICE, text: 'looking into it' }] });
  const event = await waitUntil(() => opsAtBob().slice(fromOps).find((line) => / acknowledged web01!http /.test(line)), EVENT_WAIT_MS, 'the AcknowledgementSet in the room');
  t.match(event, new RegExp(`^${ALICE_PATTERN} acknowledged web01!http \\(sticky, expires in .+\\): looking into it$`), 'the AcknowledgementSet event');
});

/** The two lines of `status web01!http`: the state, then the acknowledgement. */
const STATUS_LINES = [/^web01!http is /, /^acknowledged by /];
const STATUS = [/^web01!http is CRITICAL for .+: HTTP CRITICAL - connection refused$/, new RegExp(`^acknowledged by ${ALICE_PATTERN} \\(expires in .+\\): looking into it$`)];

t.test('a 1:1 message with a bare command is answered in the 1:1 chat', async (t) => {
  const inChat = linesFrom(alice, `${relayAccount.jid}/${NICK}`, 'chat');
  t.match(await linesAfter(inChat, () => alice.sayTo(relayAccount.jid, 'status web01!http'), STATUS_LINES), STATUS);
  t.notOk(opsAtBob().some((line) => STATUS_LINES[0].test(line)), 'not in the room');
});

t.test('the relay answers to its nick in the room', async (t) => {
  t.match(await linesAfter(opsAtBob, () => alice.sayInRoom(OPS, `${NICK}: status web01!http`), STATUS_LINES), STATUS);
});

t.test('where its nick was taken, the relay answers to the nick it has in that room, not to the taken one', async (t) => {
  await alice.join(CROWDED, 'alice');
  const crowdedAtAlice = linesFrom(alice, `${CROWDED}/${NICK}-2`);
  const before = crowdedAtAlice().length;
  const HELP_WHOAMI = 'whoami: shows the identity the relay sees for you, and your roles here.';
  await alice.sayInRoom(CROWDED, `${NICK}-2: whoami`);
  await alice.sayInRoom(CROWDED, `${NICK}: help`);
  // None of these needs Icinga2, so the relay answers in order: an answer to the line for bob would come before this one's.
  await alice.sayInRoom(CROWDED, '!help whoami');
  await waitUntil(() => crowdedAtAlice().includes(HELP_WHOAMI), REPLY_WAIT_MS, 'the answer to the prefix');
  // Answers to the commands above, not Icinga2's events, which come to this room too.
  const answers = crowdedAtAlice().slice(before).filter((line) => /^(the relay cannot tell|commands you may run|whoami:) /.test(line));
  t.same(answers, ['the relay cannot tell who alice is here (no verified identity); your roles here: none', HELP_WHOAMI]);
});
