/**
 * The XMPP backend against a real Prosody: each test starts its own server (~0.3 s) and tears it
 * down even when it fails. Watchers are second clients that see what the relay sends.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { xml } from '@xmpp/client-core';
import type { IncomingMessage } from '../../src/chat/backend.js';
import { JOIN_TIMEOUT_MS, XmppBackend, renderXmppText } from '../../src/chat/xmpp/backend.js';
import { parseConfig, type XmppConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { Relay } from '../../src/relay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { freePort, makeCertificates, startIcinga2 } from '../harness/icinga2.js';
import { MUC_DOMAIN, startProsody, startWatcher, waitUntil, type ProsodyInstance, type ProsodyOptions, type XmppAccount } from '../harness/prosody.js';

const OPS = `ops@${MUC_DOMAIN}`;
const NICK = 'icinga-relay';
// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;
const WAIT_MS = 5_000;

const message = (text: string): RelayMessage => ({ eventType: 'StateChange', severity: 'critical', text, timestamp: 0, fields: {} });

async function prosody(t: Test, options: ProsodyOptions): Promise<ProsodyInstance> {
  const server = await startProsody(options);
  // Teardowns run last-registered first: the server goes after the clients that use it.
  t.teardown(() => server.destroy());
  return server;
}

function relayConfig(server: ProsodyInstance, overrides: Partial<XmppConfig> = {}): XmppConfig {
  return {
    service: server.service,
    jid: server.accounts.relay.jid,
    password: server.accounts.relay.password,
    ...(server.ca !== undefined && { ca: server.ca }),
    allowPlaintext: server.ca === undefined,
    nick: NICK,
    rooms: [{ jid: OPS }],
    membersOnly: false,
    members: [],
    rate: { burst: 100, perSecond: 100 },
    queueSize: 100,
    reconnect: { minMs: 100, maxMs: 500 },
    ...overrides,
  };
}

function relayBackend(t: Test, config: XmppConfig, deps: { clock?: FakeClock; random?: () => number } = {}) {
  const logger = memoryLogger();
  const backend = new XmppBackend(config, { logger, ...deps });
  const incoming: IncomingMessage[] = [];
  backend.onMessage((received) => incoming.push(received));
  t.teardown(() => backend.close());
  const logged = (pattern: RegExp) => logger.lines.filter((line) => pattern.test(line));
  return { backend, incoming, logged };
}

async function watcher(t: Test, server: ProsodyInstance, account: XmppAccount) {
  const client = await startWatcher(server, account);
  t.teardown(() => client.stop());
  return client;
}

const fromRelay = (room: string, nick = NICK) => (received: { from: string; type: string }) => received.from === `${room}/${nick}` && received.type === 'groupchat';

t.test('a real Icinga2 event reaches the room through the relay', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const server = await prosody(t, { accounts: ['relay', 'alice'] });
  const passwordFile = join(server.dir, 'relay-password');
  await writeFile(passwordFile, `${server.accounts.relay.password}\n`, { mode: 0o600 });
  const { config } = parseConfig(
    [
      'icinga:',
      `  url: ${icinga.url}`,
      `  ca_file: ${icinga.caFile}`,
      `  username: ${icinga.users.relay.username}`,
      `  password: ${icinga.users.relay.password}`,
      'chat:',
      '  xmpp:',
      `    service: ${server.service}`,
      `    jid: ${server.accounts.relay.jid}`,
      `    password_file: ${passwordFile}`,
      '    allow_plaintext: true',
      `    rooms: [${OPS}]`,
      '',
    ].join('\n'),
    { env: {} },
  );
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, backends: [new XmppBackend(config.chat.xmpp!, { logger })] });
  t.teardown(() => relay.stop());
  await relay.start();
  const alice = await watcher(t, server, server.accounts.alice);
  await alice.join(OPS, 'alice');
  await waitUntil(() => logger.lines.some((line) => line.includes('event stream connected')), WAIT_MS, 'the event stream');

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');
  const [received] = await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text.includes('web01!http'), 1, EVENT_WAIT_MS);
  t.match(received.text, /^#\d+ CRITICAL web01!http: HTTP CRITICAL - connection refused/);
  t.notOk(logger.lines.some((line) => line.includes(server.accounts.relay.password)), 'the password never reaches the log');
});

t.test('STARTTLS and direct TLS verify the server certificate against ca_file', async (t) => {
  const server = await prosody(t, { tls: true, accounts: ['relay', 'alice'] });
  const alice = await watcher(t, server, server.accounts.alice);
  for (const service of [server.service, server.directTlsService!]) {
    const { backend, logged } = relayBackend(t, relayConfig(server, { service }));
    const started = Date.now();
    await backend.connect();
    t.comment(`${service}: logged in and joined in ${Date.now() - started} ms`);
    t.equal(logged(/XMPP connected .*encrypted=true/).length, 1, `${service} is encrypted`);
    if (service === server.service) await alice.join(OPS, 'alice');
    await backend.send(`xmpp:${OPS}`, message(`over ${service}`));
    await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text === `over ${service}`, 1, WAIT_MS);
    await backend.close();
  }
});

t.test('a wrong CA, plain text without allow_plaintext, a wrong password, a hang-up and a refused STARTTLS fail clearly and are retried', async (t) => {
  const [tlsServer, plainServer] = await Promise.all([
    prosody(t, { tls: true, accounts: ['relay'] }),
    prosody(t, { accounts: ['relay'] }),
  ]);
  const otherCaDir = await mkdtemp(join(tmpdir(), 'icinga-relay-other-ca-'));
  t.teardown(() => rm(otherCaDir, { recursive: true, force: true }));
  await makeCertificates(otherCaDir, 'unused-client');
  const otherCa = await readFile(join(otherCaDir, 'ca.crt'), 'utf8');

  /** A fake server that answers each thing the client sends with the next reply, and hangs up after the last. */
  const scriptedServer = async (replies: string[]): Promise<string> => {
    const port = await freePort();
    const server = createServer((socket) => {
      const next = [...replies];
      socket.on('data', () => (next.length > 0 ? socket.write(next.shift()!) : socket.end()));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `xmpp://127.0.0.1:${port}`;
  };
  const hangUp = await scriptedServer([]);
  const refusesStartTls = await scriptedServer([
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='1' version='1.0'>" +
      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>",
  ]);

  const cases: [string, XmppConfig, RegExp][] = [
    [
      'a certificate from another CA',
      relayConfig(tlsServer, { ca: otherCa }),
      /TLS certificate failed verification \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); is ca_file the CA that signed it\?/,
    ],
    ['no ca_file for a private CA', relayConfig(tlsServer, { ca: undefined }), /TLS certificate failed verification .*; for a private CA, set ca_file/],
    ['plain text', relayConfig(plainServer, { allowPlaintext: false }), /offered no TLS \(STARTTLS\), so the password would go unencrypted/],
    ['a wrong password', relayConfig(plainServer, { password: 'wrong' }), /the server refused the login \(not-authorized.*\): check chat\.xmpp\.jid and password \(or password_file\)/],
    ['a hang-up', relayConfig(plainServer, { service: hangUp }), /the server closed the connection during login/],
    ['a refused STARTTLS', relayConfig(tlsServer, { service: refusesStartTls }), /the server refused STARTTLS/],
  ];
  for (const [name, config, expected] of cases) {
    const { backend, logged } = relayBackend(t, config);
    await t.rejects(backend.connect(), `${name}: connect() rejects`);
    t.match(logged(/ERROR XMPP login failed, will retry/)[0], expected, `${name}: the log says why`);
    await waitUntil(() => logged(/XMPP login failed/).length >= 2, WAIT_MS, `${name}: a retry`);
    // A refused login is retried at reconnect.max at once (500 ms here), the others from reconnect.min (100 ms).
    const delays = logged(/reconnecting to XMPP/).map((line) => Number(/inMs=(\d+)/.exec(line)?.[1]));
    if (name === 'a wrong password') t.same(delays.slice(0, 2), [500, 500], `${name}: slow retries`);
    else t.ok(delays[0] <= 100, `${name}: the first retry soon (${delays[0]} ms)`);
    await backend.close();
  }
});

// A clean stop (SIGTERM: the server closes streams with system-shutdown) and a crash (SIGKILL: connections just end).
for (const how of ['stop', 'kill'] as const) {
  t.test(`messages sent while the server is down (${how}) arrive in order once it is back`, async (t) => {
    const server = await prosody(t, { accounts: ['relay', 'alice'] });
    const { backend, logged } = relayBackend(t, relayConfig(server));
    await backend.connect();
    const before = await watcher(t, server, server.accounts.alice);
    await before.join(OPS, 'alice');
    await backend.send(`xmpp:${OPS}`, message('before the restart'));
    await before.waitForMessages(fromRelay(OPS), 1, WAIT_MS);
    t.equal(backend.connected, true, 'online and in the room');

    await server[how]();
    await waitUntil(() => logged(/XMPP connection lost, will reconnect/).length > 0, WAIT_MS, 'the relay to notice');
    t.equal(backend.connected, false, 'down with the server');
    if (how === 'stop') t.match(logged(/XMPP connection error/).join('\n'), /system-shutdown/, 'the server said why');
    const texts = ['down 1', 'down 2', 'down 3', 'down 4', 'down 5'];
    for (const text of texts) {
      await backend.send(`xmpp:${OPS}`, message(text));
      await sleep(50);
    }
    await waitUntil(() => logged(/connect ECONNREFUSED/).length > 0, WAIT_MS, 'a failed reconnect');
    await server.start();

    // The first watcher's connection died with the server. The new one gets the room's history
    // (kept across a stop, lost in a kill, but the relay sends after the restart) so it sees what
    // the relay sent before it joined.
    const after = await watcher(t, server, server.accounts.alice);
    await after.join(OPS, 'alice');
    const received = await after.waitForMessages((m) => fromRelay(OPS)(m) && texts.includes(m.text), texts.length, WAIT_MS);
    t.same(received.map((m) => m.text), texts, 'all of them, in order');
    t.equal(logged(/joined room/).length, 2, 'the relay rejoined the room');
    t.ok(backend.counters.reconnects >= 1, 'reconnects counted for /metrics');
  });
}

t.test('identity is the real bare JID, never the nick', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice', 'mallory'] });
  const HIDDEN = `hidden@${MUC_DOMAIN}`;
  const [alice, mallory] = await Promise.all([watcher(t, server, server.accounts.alice), watcher(t, server, server.accounts.mallory)]);
  // A room with Prosody's defaults: only moderators see real JIDs, and the relay is not one.
  await alice.join(HIDDEN, 'alice');
  // Waits in offline storage, and arrives marked <delay> at login: a stale command.
  await alice.sayTo(server.accounts.relay.jid, 'written while the relay was away');

  const { backend, incoming, logged } = relayBackend(t, relayConfig(server, { rooms: [{ jid: OPS }, { jid: HIDDEN }] }));
  await backend.connect();
  // The relay's own account, logged in a second time.
  const relayElsewhere = await watcher(t, server, server.accounts.relay);
  await alice.join(OPS, 'alice');
  await mallory.join(OPS, 'Alice');
  await mallory.join(HIDDEN, 'mallory');
  await relayElsewhere.join(OPS, 'relay-elsewhere');

  await alice.sayInRoom(OPS, 'ack web01 from alice');
  await mallory.sayInRoom(OPS, 'ack web01 from mallory');
  await alice.sayTo(server.accounts.relay.jid, 'an automated notice', 'headline');
  await alice.sayTo(server.accounts.relay.jid, 'status web01');
  await alice.sayTo(`${OPS}/${NICK}`, 'privately in the room');
  await mallory.sayInRoom(HIDDEN, 'hidden 1');
  await mallory.sayInRoom(HIDDEN, 'hidden 2');
  await waitUntil(() => incoming.length >= 6, WAIT_MS, 'six messages');
  const byText = (text: string) => incoming.find((received) => received.text === text);

  t.same(byText('ack web01 from alice'), {
    destination: `xmpp:${OPS}`,
    text: 'ack web01 from alice',
    direct: false,
    sender: { identity: 'xmpp:alice@localhost', displayName: 'alice' },
  });
  t.same(byText('ack web01 from mallory')?.sender, { identity: 'xmpp:mallory@localhost', displayName: 'Alice' }, 'the lookalike nick is mallory');
  t.same(byText('status web01'), {
    destination: 'xmpp:alice@localhost',
    text: 'status web01',
    direct: true,
    sender: { identity: 'xmpp:alice@localhost', displayName: 'alice' },
  });
  t.same(byText('privately in the room'), {
    destination: `xmpp:${OPS}/alice`,
    text: 'privately in the room',
    direct: true,
    sender: { identity: 'xmpp:alice@localhost', displayName: 'alice' },
  });
  for (const text of ['hidden 1', 'hidden 2']) {
    t.same(byText(text), { destination: `xmpp:${HIDDEN}`, text, direct: false, sender: { identity: undefined, displayName: 'mallory' } });
  }
  t.equal(logged(/hides real JIDs/).length, 1, 'one warning for the room that hides JIDs');
  t.match(logged(/hides real JIDs/)[0], `room=${HIDDEN}`);

  // Replies go back where the message came from.
  await backend.send('xmpp:alice@localhost', message('reply to alice'));
  await backend.send(`xmpp:${OPS}/alice`, message('private reply in the room'));
  await alice.waitForMessages((m) => m.type === 'chat' && m.from === `${server.accounts.relay.jid}/icinga-relay` && m.text === 'reply to alice', 1, WAIT_MS);
  await alice.waitForMessages((m) => m.type === 'chat' && m.from === `${OPS}/${NICK}` && m.text === 'private reply in the room', 1, WAIT_MS);
  await backend.send('xmpp:nobody@localhost', message('to nobody'));
  await waitUntil(() => logged(/could not deliver a message .*to=nobody@localhost error=service-unavailable/).length > 0, WAIT_MS, 'the bounce');
  await t.rejects(backend.send('irc:#ops', message('wrong backend')), /not an XMPP destination: irc:#ops/);
  await t.rejects(backend.send('xmpp:', message('nowhere')), /not an XMPP destination/);

  // What the relay must not take as a person writing: its own echo, its own account elsewhere.
  await backend.send(`xmpp:${OPS}`, message('said by the relay'));
  await relayElsewhere.sayTo(`${server.accounts.relay.jid}/icinga-relay`, 'from the relay account, 1:1');
  await relayElsewhere.sayInRoom(OPS, 'from the relay account, in the room');
  await alice.waitForMessages((m) => m.text === 'said by the relay' || m.text === 'from the relay account, in the room', 2, WAIT_MS);
  // Sent after those reached the room, so it arrives after them.
  await alice.sayInRoom(OPS, 'the last one');
  await waitUntil(() => byText('the last one') !== undefined, WAIT_MS, 'the last message');
  t.same(
    incoming.map((received) => received.text).sort(),
    ['ack web01 from alice', 'ack web01 from mallory', 'hidden 1', 'hidden 2', 'privately in the room', 'status web01', 'the last one'],
    'no echo, no message from the relay account, no stale offline message, no headline, no server MOTD',
  );
});

t.test('a room locked on creation is configured non-anonymous and persistent, and usable', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice'] });
  const { backend, logged } = relayBackend(t, relayConfig(server));
  await backend.connect();
  t.equal(logged(/created and configured room .*room=ops@conference.localhost/).length, 1);
  const alice = await watcher(t, server, server.accounts.alice);
  await alice.join(OPS, 'alice');
  t.equal(alice.occupantJids.get(`${OPS}/${NICK}`), server.accounts.relay.jid, 'an ordinary occupant sees real JIDs');
  const info = await alice.iq.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), OPS);
  const features = info?.getChildren('feature').map((feature) => feature.attrs.var);
  t.ok(features?.includes('muc_nonanonymous'), 'non-anonymous');
  t.ok(features?.includes('muc_persistent'), 'persistent');
  t.notOk(features?.includes('muc_passwordprotected'), 'no password was set');
  t.ok(features?.includes('muc_hidden'), 'not public');
  t.ok(features?.includes('muc_open'), 'open to all without members_only');
  const directory = await alice.iq.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), MUC_DOMAIN);
  t.notOk(directory?.getChildren('item').some((item) => item.attrs.jid === OPS), 'not in the room directory');
  await backend.send(`xmpp:${OPS}`, message('CRITICAL web01!http: connection refused'));
  await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text === 'CRITICAL web01!http: connection refused', 1, WAIT_MS);
});

t.test('members_only: a room the relay creates admits the members from access.users, nobody else', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice', 'mallory'] });
  const { backend, logged } = relayBackend(t, relayConfig(server, { membersOnly: true, members: [server.accounts.alice.jid] }));
  await backend.connect();
  t.equal(logged(/made members of the room .*members=alice@localhost/).length, 1);
  const alice = await watcher(t, server, server.accounts.alice);
  await alice.join(OPS, 'alice');
  const info = await alice.iq.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), OPS);
  const features = info?.getChildren('feature').map((feature) => feature.attrs.var);
  t.ok(features?.includes('muc_membersonly'), 'members-only');
  t.ok(features?.includes('muc_hidden'), 'not public');
  const mallory = await watcher(t, server, server.accounts.mallory);
  await t.rejects(mallory.join(OPS, 'mallory'), /registration-required/, 'a stranger cannot enter');
  await backend.send(`xmpp:${OPS}`, message('CRITICAL web01!http: members only'));
  await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text === 'CRITICAL web01!http: members only', 1, WAIT_MS);
  t.notOk(mallory.messages.some((m) => m.text.includes('members only')));

  // The relay joins again (a restart): alice is a member already, nothing to change.
  await backend.close();
  const again = relayBackend(t, relayConfig(server, { membersOnly: true, members: [server.accounts.alice.jid] }));
  await again.backend.connect();
  t.equal(again.logged(/created and configured room/).length, 0, 'the room persisted');
  t.equal(again.logged(/made members of the room|cannot set the members/).length, 0);
});

t.test('a taken nick gets an alternative; a room where all are taken is retried until one is free', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice', 'mallory', 'bob'] });
  const CROWDED = `crowded@${MUC_DOMAIN}`;
  const [alice, mallory] = await Promise.all([watcher(t, server, server.accounts.alice), watcher(t, server, server.accounts.mallory)]);
  const bob = await startWatcher(server, server.accounts.bob);
  await alice.join(OPS, NICK);
  await alice.join(CROWDED, NICK);
  await mallory.join(CROWDED, `${NICK}-2`);
  await bob.join(CROWDED, `${NICK}-3`);

  const { backend, incoming, logged } = relayBackend(t, relayConfig(server, { rooms: [{ jid: OPS }, { jid: CROWDED }] }));
  await backend.connect();
  t.match(logged(/joined room .*room=ops@conference.localhost/)[0], `nick=${NICK}-2`);
  t.match(logged(/could not join room, will retry/)[0], /room=crowded@conference.localhost error="the nick icinga-relay and its alternatives up to icinga-relay-3 are taken"/);
  await backend.send(`xmpp:${OPS}`, message('waits for every room'));
  await sleep(300);
  t.equal(alice.messages.filter(fromRelay(OPS, `${NICK}-2`)).length, 0, 'nothing is sent while a room is not joined');

  await bob.stop();
  await alice.waitForMessages((m) => fromRelay(OPS, `${NICK}-2`)(m) && m.text === 'waits for every room', 1, WAIT_MS);
  t.match(logged(/joined room .*room=crowded@conference.localhost/)[0], `nick=${NICK}-3`);

  // Its echo comes from its alternative nick; the nick it wanted is someone else now.
  await alice.sayInRoom(OPS, 'from the one with the nick');
  await waitUntil(() => incoming.length > 0, WAIT_MS, 'the message');
  t.same(
    incoming.map((received) => [received.text, received.sender.displayName]),
    [['from the one with the nick', NICK]],
  );
});

t.test('kicked from a room: rejoins, and what was sent meanwhile follows', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice'] });
  const alice = await watcher(t, server, server.accounts.alice);
  // Alice owns the room, so she may kick.
  await alice.join(OPS, 'alice');
  const { backend, logged } = relayBackend(t, relayConfig(server));
  await backend.connect();
  for (const reason of ['testing', undefined]) {
    const kicks = logged(/removed from room, will rejoin/).length;
    const item = xml('item', { nick: NICK, role: 'none' }, reason !== undefined && xml('reason', {}, reason));
    await alice.iq.set(xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, item), OPS);
    await waitUntil(() => logged(/removed from room, will rejoin/).length > kicks, WAIT_MS, 'the kick');
    t.match(logged(/removed from room/)[kicks], reason ? /room=ops@conference.localhost reason=testing/ : /room=ops@conference.localhost inMs=/);
    await backend.send(`xmpp:${OPS}`, message(`after kick ${kicks + 1}`));
    await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text === `after kick ${kicks + 1}`, 1, WAIT_MS);
  }
  t.equal(logged(/joined room/).length, 3);
});

t.test('a handler that throws is logged and the connection stays', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice'] });
  const { backend, logged } = relayBackend(t, relayConfig(server));
  backend.onMessage(() => {
    throw new Error('a bug in a command');
  });
  await backend.connect();
  const alice = await watcher(t, server, server.accounts.alice);
  await alice.join(OPS, 'alice');
  await alice.sayInRoom(OPS, 'ack web01');
  await waitUntil(() => logged(/could not handle an incoming stanza/).length > 0, WAIT_MS, 'the error');
  t.match(logged(/could not handle an incoming stanza/)[0], /error="a bug in a command" from=ops@conference.localhost\/alice/);
  await backend.send(`xmpp:${OPS}`, message('still here'));
  await alice.waitForMessages((m) => fromRelay(OPS)(m) && m.text === 'still here', 1, WAIT_MS);
});

t.test('a password-protected room is joined with its password, and refuses a wrong one', async (t) => {
  const server = await prosody(t, { accounts: ['relay', 'alice'] });
  const SECRET = `secret@${MUC_DOMAIN}`;
  const alice = await watcher(t, server, server.accounts.alice);
  await alice.join(SECRET, 'alice');
  const fields = [
    ['FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'],
    ['muc#roomconfig_passwordprotectedroom', '1'],
    ['muc#roomconfig_roomsecret', 's3cret'],
  ].map(([field, value]) => xml('field', { var: field }, xml('value', {}, value)));
  await alice.iq.set(xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields)), SECRET);

  const wrong = relayBackend(t, relayConfig(server, { rooms: [{ jid: SECRET, password: 'guess' }] }));
  await wrong.backend.connect();
  t.match(wrong.logged(/could not join room/)[0], /room=secret@conference.localhost error="the room refused: not-authorized"/);
  await wrong.backend.close();

  const right = relayBackend(t, relayConfig(server, { rooms: [{ jid: SECRET, password: 's3cret' }] }));
  await right.backend.connect();
  await right.backend.send(`xmpp:${SECRET}`, message('behind the password'));
  await alice.waitForMessages((m) => fromRelay(SECRET)(m) && m.text === 'behind the password', 1, WAIT_MS);
});

t.test('a room that never answers times out and is retried; close leaves no timers', async (t) => {
  const server = await prosody(t, { accounts: ['relay'] });
  const clock = new FakeClock();
  // Presence to an account's JID that does not exist is dropped without an answer.
  const config = relayConfig(server, { rooms: [{ jid: 'nobody@localhost' }], reconnect: { minMs: 1000, maxMs: 1000 } });
  const { backend, logged } = relayBackend(t, config, { clock, random: () => 0 });
  const connecting = backend.connect();
  await waitUntil(() => clock.pendingDelays().includes(JOIN_TIMEOUT_MS), WAIT_MS, 'the join');
  clock.advance(JOIN_TIMEOUT_MS);
  await connecting;
  t.match(logged(/could not join room/)[0], /room=nobody@localhost error="no answer within 30 s" inMs=1000/);
  t.same(clock.pendingDelays(), [1000], 'the rejoin is planned');
  clock.advance(1000);
  await waitUntil(() => clock.pendingDelays().includes(JOIN_TIMEOUT_MS), WAIT_MS, 'the second join');
  await backend.close();
  t.same(clock.pendingDelays(), [], 'no timers left');
});

t.test('renders one line of text that XML 1.0 allows', async (t) => {
  t.equal(renderXmppText(message('CRITICAL\tweb01\r\n  disk\u0000 full\u0007\u001b[0m \u0085')), 'CRITICAL web01   disk full[0m ');
  t.equal(renderXmppText(message('lone \ud800 surrogate and \uffff, emoji 🔥 and ünïcödé stay')), 'lone  surrogate and , emoji 🔥 and ünïcödé stay');
});
