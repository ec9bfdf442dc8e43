/**
 * What must never change Icinga2, against a real one (one daemon for the file): refused senders,
 * injection attempts by an authorised one, an API user without the action permissions, and an
 * Icinga2 that is down. Each compares every acknowledgement, comment and downtime before and after.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2, type PasswordUser } from '../harness/icinga2.js';
import type { CommandSender } from '../../src/commands/access.js';
import { chat, FakeChatBackend, icingaSnapshot, relayConfig } from './helpers.js';

const icinga = await startIcinga2();
t.teardown(() => icinga.destroy());

const ACCESS = `commands:
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "irc:alice": [operator]
    "irc:dave": [viewer]
    "slack:UBOT": [operator]
  everyone: [viewer]
`;

async function relayAs(user: PasswordUser) {
  const backend = new FakeChatBackend('irc', ['irc:#ops']);
  const relay = new Relay(relayConfig(icinga, ACCESS, user), { logger: memoryLogger(), backends: [backend] });
  t.teardown(() => relay.stop());
  // Commands need no event stream; not starting it keeps Icinga2's view of API clients quiet.
  const say = async (text: string, sender: CommandSender) => {
    const from = backend.sent.length;
    await relay.handleMessage(backend, { ...chat(text, undefined), sender });
    return backend.texts(from);
  };
  return { relay, backend, say };
}

const alice: CommandSender = { identity: 'irc:alice', displayName: 'alice' };
const { say } = await relayAs(icinga.users.relay);

// Problems on every kind of object, so that a command that slipped through would change something.
for (const host of ['web01', 'web02', 'db01', 'routeur-äöü']) {
  await icinga.processCheckResult(host, 1, 'PING CRITICAL');
  for (const service of ['http', 'disk', 'load']) await icinga.processCheckResult(`${host}!${service}`, 2, `${service} CRITICAL`);
}
await icinga.api('POST', '/v1/actions/add-comment', { type: 'Host', host: 'db01', author: 'setup', comment: 'a comment to keep' });
const now = Math.floor(Date.now() / 1000);
await icinga.api('POST', '/v1/actions/schedule-downtime', { type: 'Service', service: 'web02!disk', author: 'setup', comment: 'a downtime to keep', start_time: now, end_time: now + 3600 });

const SUCCESS = /^(acknowledged|removed|added|scheduled|rescheduled)\b/;

t.test('refused senders change nothing', async (t) => {
  const before = await icingaSnapshot(icinga);
  t.same(await say('!ack web01!http mine now', { identity: 'irc:dave', displayName: 'dave' }), ['dave is not allowed to run ack']);
  t.same(await say('!undowntime web02!disk', { identity: 'irc:carol', displayName: 'carol' }), ['carol is not allowed to run undowntime']);
  t.same(await say('!downtime db01!* 1w quiet please', { displayName: 'alice_' }), [
    'alice_ is not allowed to run downtime: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  ]);
  t.same(await say('!ack web01 spoofed', { displayName: 'alice' }), [
    'alice is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  ], 'a lookalike name without identity');
  t.same(await say('!recheck web01!http', { identity: 'slack:UBOT', displayName: 'ci-bot', bot: true }), ['ci-bot is not allowed to run recheck: bots never change Icinga2']);
  t.same(await icingaSnapshot(icinga), before);
});

t.test('injection attempts by an authorised user change nothing', async (t) => {
  const attempts = [
    'ack nohost" || true || " x',
    'ack "nohost\\" || true || \\"" x',
    'ack web01!http" || true || "x looking',
    'comment "web01\\" || host.name == \\"db01" injected',
    'comment web01\\" || true || \\" injected',
    'ack \\"web01\\\\ x',
    'downtime "db01\\\\" 1h x',
    'ack * everything',
    'ack *!* everything',
    'ack web01!* everything',
    'downtime * 1h everything',
    'downtime "*!*" 1h everything',
    'undowntime *',
    'undowntime "web02!disk" || true',
    'undowntime "" ',
    'recheck *',
    'unack "web01!http\\" || true || \\""',
    'comment "" x',
    'ack web01!http\u0000 x',
    `comment web01 ${'x'.repeat(2000)}`,
    `ack ${'a'.repeat(900)} x`,
    'problems " || true || "',
    'status web01!http" || true || "',
  ];
  const before = await icingaSnapshot(icinga);
  for (const attempt of attempts) {
    const replies = await say(`!${attempt}`, alice);
    t.equal(replies.length, 1, attempt);
    t.notMatch(replies[0], SUCCESS, `${attempt} → ${replies[0]}`);
  }
  t.same(await icingaSnapshot(icinga), before, 'every acknowledgement, comment and downtime is as it was');
});

t.test('an API user without the action permissions: a message that points at them', async (t) => {
  const restricted = await relayAs(icinga.users.restricted);
  const before = await icingaSnapshot(icinga);
  t.same(await restricted.say('!ack web01!http looking', alice), ["the relay's Icinga2 API user lacks the permission actions/acknowledge-problem"]);
  t.same(await restricted.say('!downtime web01 1h maintenance', alice), ["the relay's Icinga2 API user lacks the permission actions/schedule-downtime"]);
  t.same(await restricted.say('!ack web01!htp looking', alice), ['no such service web01!htp (did you mean web01!http?)'], 'unknown objects are still told apart');
  t.same(await icingaSnapshot(icinga), before);
});

t.test('Icinga2 down: a clear reply and no crash; it works again when Icinga2 is back', async (t) => {
  await icinga.stop();
  // The relay's timers never keep a process alive (the CLI does that): while a retry waits with no
  // socket open, this one does.
  const alive = setInterval(() => {}, 1_000);
  t.teardown(() => clearInterval(alive));
  // A refused connection is retried for 10 s (a reload refuses for a moment), said first.
  const status = await say('!status web01!http', alice);
  const ack = await say('!ack web01!http looking', alice);
  const retrying = 'Icinga2 refused the connection (it does while reloading): the relay retries for up to 10 s';
  t.equal(status.length, 2);
  t.equal(status[0], retrying);
  t.match(status[1], /^cannot reach Icinga2: connection refused by 127\.0\.0\.1:\d+: is Icinga2 running, and is icinga\.url right\?$/);
  t.match(ack, [retrying, /^cannot reach Icinga2/]);
  await icinga.start();
  t.match(await say('!status web01!http', alice), [/^web01!http is CRITICAL for \d+ (second|minute)s?: http CRITICAL$/]);
  t.same(await say('!ack web01!http back again', alice), ['acknowledged web01!http until it recovers']);
});
