/**
 * The IRC backend against a real InspIRCd with Atheme services (test/harness/ircd.ts), each
 * test with servers of its own. Where the backend waits (reconnect, rejoin, nick regain) the
 * test holds its clock, so nothing depends on how fast the machine is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONNECT_TIMEOUT_MS, IrcBackend, NICK_REGAIN_INTERVAL_MS, NICKSERV_LOGIN_TIMEOUT_MS, REJOIN_DELAY_MS, TLS_HANDSHAKE_TIMEOUT_MS } from '../../src/chat/irc/backend.js';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { backendUnderTest, eventually, IrcTestClient, notice, testIrcConfig, type TestClientOptions } from '../harness/irc-client.js';
import { startIrcd, type IrcdInstance, type IrcdOptions } from '../harness/ircd.js';
import { FakeClock } from '../helpers/fake-clock.js';

// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;

async function ircd(t: Test, options: IrcdOptions = {}): Promise<IrcdInstance> {
  const instance = await startIrcd(options);
  t.teardown(() => instance.destroy());
  return instance;
}

async function person(t: Test, server: IrcdInstance, options: Omit<TestClientOptions, 'port'>, channel?: string): Promise<IrcTestClient> {
  const client = await IrcTestClient.connect({ port: server.port, ...options });
  t.teardown(() => client.quit());
  if (channel) await client.join(channel);
  return client;
}

t.test('a real Icinga2 event reaches the IRC channel, over TLS, logged in with SASL', async (t) => {
  const [icinga, server] = await Promise.all([startIcinga2(), startIrcd({ tls: true })]);
  t.teardown(() => Promise.all([icinga.destroy(), server.destroy()]));
  await server.registerAccount('relay', 'relay-secret');
  const watcher = await person(t, server, { nick: 'watcher' }, '#ops');
  const passwordFile = join(icinga.dir, 'relay-password');
  writeFileSync(passwordFile, icinga.users.restricted.password, { mode: 0o600 });
  const yaml = `
icinga:
  url: ${icinga.url}
  ca_file: ${icinga.caFile}
  username: ${icinga.users.restricted.username}
  password_file: ${passwordFile}
chat:
  irc:
    # A name, not an address: the certificate is checked against it (SNI).
    server: localhost
    port: ${server.tlsPort}
    ca_file: ${server.caFile}
    nick: relay
    sasl_account: relay
    sasl_password: \${IRC_PASSWORD}
    channels: ['#ops']
`;
  const { config } = parseConfig(yaml, { env: { IRC_PASSWORD: 'relay-secret' } });
  t.equal(config.chat.irc?.tls, true, 'TLS is the default');
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, backends: [new IrcBackend(config.chat.irc!, { logger })] });
  t.teardown(() => relay.stop());
  await relay.start();
  await eventually(() => logger.lines.some((line) => line.includes('event stream connected')), 'the event stream');

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');
  const [line] = await watcher.waitForMessages('#ops', 1, EVENT_WAIT_MS);
  t.equal(line.nick, 'relay');
  t.equal(line.account, 'relay', 'the relay is logged in to its services account (SASL)');
  t.equal(line.text, '\x0304#1 CRITICAL \x02web01!http\x02: HTTP CRITICAL - connection refused\x0f', 'red, the service in bold, after its problem reference');
  t.notOk(logger.lines.some((l) => l.includes('relay-secret')), 'the SASL password never reaches the log');
});

t.test('an unverifiable certificate or a failed SASL login keeps the relay out, retrying', async (t) => {
  const server = await ircd(t, { tls: true });
  await server.registerAccount('relay', 'relay-secret');

  const untrusted = backendUnderTest(t, testIrcConfig(server.port, { tls: true, port: server.tlsPort! }), new FakeClock());
  await untrusted.backend.connect();
  await untrusted.logged(/ERROR could not connect to the IRC server .*error="unable to verify the first certificate"/);
  await untrusted.logged(/reconnecting to the IRC server later .*inMs=1000/);

  const clock = new FakeClock();
  const config = testIrcConfig(server.port, { sasl: { account: 'relay', password: 'wrongsasl' } });
  const wrongPassword = backendUnderTest(t, config, clock);
  wrongPassword.logger.addSecret('wrongsasl');
  await wrongPassword.backend.connect();
  await wrongPassword.logged(
    /ERROR SASL login failed: the account or password is wrong: check chat\.irc\.sasl_account and sasl_password \(or sasl_password_file\); disconnecting, retrying in 5 s .*account=relay reason=fail/,
  );
  await wrongPassword.logged(/reconnecting to the IRC server later .*inMs=5000/);
  t.equal(config.reconnect.maxMs, 5_000, 'straight to reconnect.max, not 1 s');
  clock.advance(5_000);
  await eventually(() => wrongPassword.logger.lines.filter((line) => line.includes('SASL login failed')).length === 2, 'the second refusal');
  await eventually(() => wrongPassword.logger.lines.filter((line) => /reconnecting to the IRC server later .*inMs=5000/.test(line)).length === 2, 'the second retry');
  t.notOk(wrongPassword.logger.lines.some((line) => line.includes('could not connect')), 'no misleading "could not connect": the connection worked, the login did not');
  t.notOk(wrongPassword.logger.lines.some((line) => line.includes('wrongsasl')), 'the password is masked');
});

t.test('tls: true against a plain-text port fails after the TLS handshake timeout, saying to check the port, not after the 30 s connect timeout', async (t) => {
  const server = await ircd(t);
  const clock = new FakeClock();
  const plain = backendUnderTest(t, testIrcConfig(server.port, { tls: true }), clock);
  const connected = plain.backend.connect();
  // InspIRCd answers a ClientHello with silence: only the handshake timer, started at the TCP connect, ends the wait.
  await eventually(() => clock.pendingDelays().includes(TLS_HANDSHAKE_TIMEOUT_MS), 'the TCP connect, then the handshake timer');
  clock.advance(TLS_HANDSHAKE_TIMEOUT_MS);
  await connected;
  await plain.logged(
    new RegExp(`ERROR could not connect to the IRC server .*error="no TLS handshake from 127.0.0.1:${server.port} within 5 s: is this port TLS\\? \\(set tls: false for a plain-text port`),
  );
  await plain.logged(/reconnecting to the IRC server later .*inMs=1000/);
  t.ok(TLS_HANDSHAKE_TIMEOUT_MS < CONNECT_TIMEOUT_MS);
});

// A clean stop (the server says ERROR and closes) and a crash (SIGKILL: the connection just ends).
for (const how of ['stop', 'kill'] as const) {
  t.test(`after a server restart (${how}) the relay reconnects, rejoins, and delivers everything queued, in order`, async (t) => {
    const server = await ircd(t);
    const before = await person(t, server, { nick: 'watcher' }, '#ops');
    const clock = new FakeClock();
    const { backend, logged } = backendUnderTest(t, testIrcConfig(server.port), clock);
    await backend.connect();
    for (const n of [1, 2]) await backend.send('irc:#ops', notice(`message ${n}`));
    await before.waitForMessages('#ops', 2);
    t.equal(backend.connected, true, 'registered and in #ops');

    await server[how]();
    await logged(/WARN IRC connection lost/);
    await logged(/reconnecting to the IRC server later .*inMs=1000/);
    t.equal(backend.connected, false, 'down with the server');
    for (let n = 3; n <= 12; n++) await backend.send('irc:#ops', notice(`message ${n}`));
    t.equal(backend.queueDepth, 10, 'queued while down');
    await server.start();
    // The watcher is back in the channel before the relay is: the relay waits for the clock.
    const after = await person(t, server, { nick: 'watcher2' }, '#ops');
    clock.advance(1_000);

    const received = await after.waitForMessages('#ops', 10);
    t.same(
      [...before.messages, ...received].map((message) => message.text),
      Array.from({ length: 12 }, (_, i) => `message ${i + 1}`),
      'all twelve, in order, none twice',
    );
    await after.waitForLine(/:relay!\S+ JOIN #ops/);
    t.same(backend.counters, { reconnects: 1, droppedMessages: 0, droppedReplies: 0 }, 'one reconnect, for /metrics');
  });
}

t.test('an alert queued while the server was down says how long it waited when it is delivered', async (t) => {
  const server = await ircd(t);
  const clock = new FakeClock();
  const { backend, logged, logger } = backendUnderTest(t, testIrcConfig(server.port), clock);
  await backend.connect();
  await server.stop();
  await logged(/reconnecting to the IRC server later .*inMs=1000$/);
  await backend.send('irc:#ops', notice('CRITICAL web01!http: refused'));
  // Each attempt is refused while the server is down; the clock moves by each backoff delay (up to reconnect.max, 5 s).
  const scheduled = () => logger.lines.filter((line) => line.includes('reconnecting to the IRC server later')).length;
  for (const delayMs of [1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000]) {
    const before = scheduled();
    clock.advance(delayMs);
    await eventually(() => scheduled() > before, 'the next refused attempt');
  }
  await server.start();
  const watcher = await person(t, server, { nick: 'watcher' }, '#ops');
  clock.advance(5_000);
  const [late] = await watcher.waitForMessages('#ops', 1);
  t.equal(late.text, 'queued 42 s: CRITICAL web01!http: refused', 'the clock moved 1 + 2 + 4 + 7 × 5 s while it waited');
  await backend.send('irc:#ops', notice('OK web01!http'));
  const [, onTime] = await watcher.waitForMessages('#ops', 2);
  t.equal(onTime.text, 'OK web01!http', 'sent at once: no mark');
});

t.test('identity comes from the account-tag; echoes and the relay itself are not handed on', async (t) => {
  const server = await ircd(t);
  await server.registerAccount('alice', 'alice-secret');
  const { backend, incoming } = backendUnderTest(t, testIrcConfig(server.port));
  await backend.connect();
  const alice = await person(t, server, { nick: 'alice', account: { name: 'alice', password: 'alice-secret' } }, '#ops');
  const lookalike = await person(t, server, { nick: 'alice_' }, '#ops');

  await backend.send('irc:#ops', notice('relay speaking'));
  alice.say('#ops', '\x02!ack\x02 web01');
  await eventually(() => incoming.length === 1, 'alice in the channel');
  lookalike.say('#ops', '!ack web01');
  await eventually(() => incoming.length === 2, 'the lookalike in the channel');
  alice.say('relay', 'status web01');
  await eventually(() => incoming.length === 3, 'alice directly');
  await backend.send('irc:alice', notice('a reply to alice'));
  await alice.waitForMessages('alice', 1);

  t.ok(
    incoming.every((message) => /^irc:~?\w+@127\.0\.0\.1$|^irc:~?\w+@localhost$/.test(message.sender.rateKey ?? '')),
    'each sender budgeted by user@host until it is identified',
  );
  t.same(incoming.map(({ sender: { rateKey: _rateKey, ...sender }, ...message }) => ({ ...message, sender })), [
    { destination: 'irc:#ops', text: '!ack web01', direct: false, sender: { identity: 'irc:alice', displayName: 'alice' } },
    { destination: 'irc:#ops', text: '!ack web01', direct: false, sender: { identity: undefined, displayName: 'alice_' } },
    { destination: 'irc:alice', text: 'status web01', direct: true, sender: { identity: 'irc:alice', displayName: 'alice' } },
  ]);
  t.same(alice.messages.filter((m) => m.nick === 'relay').map((m) => m.text), ['relay speaking', 'a reply to alice'], 'the relay spoke; its echoes were not taken for someone writing');

  await t.rejects(backend.send('irc:#elsewhere', notice('x')), /not a destination of the IRC backend/, 'only configured channels');
  await t.rejects(backend.send('irc:bob :x\r\nQUIT', notice('x')), /not a destination/, 'a nick must be a nick');
  await t.rejects(backend.send('xmpp:ops@conference.example.org', notice('x')), /not a destination/);
});

t.test('without account-tag, identity comes from extended-join, account-notify and WHOIS', async (t) => {
  const server = await ircd(t, { accountTag: false, echoMessage: false });
  await Promise.all(['alice', 'bob', 'carol'].map((name) => server.registerAccount(name, `${name}-secret`)));
  const login = (name: string) => ({ nick: name, account: { name, password: `${name}-secret` } });
  // Bob is in the channel before the relay: it never sees him join.
  const bob = await person(t, server, login('bob'), '#ops');
  const { backend, incoming } = backendUnderTest(t, testIrcConfig(server.port));
  await backend.connect();
  const alice = await person(t, server, login('alice'), '#ops');
  const lookalike = await person(t, server, { nick: 'alice_' }, '#ops');
  const carol = await person(t, server, login('carol'));

  const said = async (client: IrcTestClient, target: string, text: string) => {
    const count = incoming.length;
    client.say(target, text);
    await eventually(() => incoming.length === count + 1, `${client.nick} saying ${text}`);
    const { sender } = incoming[count];
    // Identity the backend knows, or looks up (WHOIS) when the relay asks, as it does for a command.
    return sender.identity ?? (await sender.identify?.());
  };
  t.equal(await said(alice, '#ops', 'one'), 'irc:alice', 'from her extended-join');
  t.equal(await said(lookalike, '#ops', 'two'), undefined, 'extended-join said: no account');
  t.equal(await said(bob, '#ops', 'three'), 'irc:bob', 'from WHOIS');
  t.equal(await said(carol, 'relay', 'four'), 'irc:carol', 'not in a channel with the relay: WHOIS');
  alice.client.changeNick('alice2');
  await alice.waitForLine(/NICK :?alice2/);
  t.equal(await said(alice, '#ops', 'five'), 'irc:alice', 'the account follows the nick');
  alice.say('NickServ', 'LOGOUT');
  await alice.waitForNotice('NickServ', /logged out/);
  t.equal(await said(alice, '#ops', 'six'), undefined, 'account-notify: logged out');
  await lookalike.quit();
  await backend.send('irc:#ops', notice('sent without echo-message'));
  await eventually(() => bob.messages.some((m) => m.nick === 'relay'), 'the relay in the channel');
  t.same(bob.messages.filter((m) => m.nick === 'relay').map((m) => m.text), ['sent without echo-message']);
});

t.test('after a KICK the relay rejoins after a delay, and nothing is lost meanwhile', async (t) => {
  const server = await ircd(t);
  // The first to join a channel is its operator.
  const operator = await person(t, server, { nick: 'op' }, '#ops');
  const clock = new FakeClock();
  const { backend, logged } = backendUnderTest(t, testIrcConfig(server.port), clock);
  await backend.connect();
  operator.raw('KICK #ops relay :go away');
  await logged(/WARN not in channel, rejoining later .*channel=#ops .*kicked by op \(go away\).*inMs=3000/);
  t.ok(clock.pendingDelays().includes(REJOIN_DELAY_MS), 'the rejoin waits for the clock');
  await backend.send('irc:#ops', notice('while kicked'));
  clock.advance(REJOIN_DELAY_MS);
  await operator.waitForLine(/:relay!\S+ JOIN #ops/);
  const [message] = await operator.waitForMessages('#ops', 1);
  t.equal(message.text, 'while kicked');
});

t.test('a nick in use: an alternative nick now, the configured one back later', async (t) => {
  const server = await ircd(t);
  const holders = await Promise.all(['relay', 'relay_'].map((nick) => person(t, server, { nick })));
  const watcher = await person(t, server, { nick: 'watcher' }, '#ops');
  const clock = new FakeClock();
  const { backend, logged } = backendUnderTest(t, testIrcConfig(server.port), clock);
  await backend.connect();
  await watcher.waitForLine(/:relay__!\S+ JOIN #ops/);
  await logged(/WARN nick in use, trying another .*nick=relay_ alternative=relay__/);

  clock.advance(NICK_REGAIN_INTERVAL_MS);
  await logged(/DEBUG the configured nick is still in use/);
  await Promise.all(holders.map((holder) => holder.quit()));
  clock.advance(NICK_REGAIN_INTERVAL_MS);
  await watcher.waitForLine(/:relay__!\S+ NICK :?relay$/);
  await logged(/INFO took back the configured nick .*nick=relay$/);
  for (const n of [1, 2]) await backend.send('irc:#ops', notice(`as relay ${n}`));
  const messages = await watcher.waitForMessages('#ops', 2);
  t.same(messages.map((m) => [m.nick, m.text]), [['relay', 'as relay 1'], ['relay', 'as relay 2']], 'echoes of the new nick still confirm each line');
});

t.test('a channel that refuses the relay is retried; messages wait until every channel is joined', async (t) => {
  const server = await ircd(t);
  const operator = await person(t, server, { nick: 'op' }, '#locked');
  await operator.join('#ops');
  operator.raw('MODE #locked +k other-key');
  await operator.waitForLine(/MODE #locked \+k/);
  const clock = new FakeClock();
  const { backend, logged } = backendUnderTest(t, testIrcConfig(server.port, { channels: [{ name: '#ops' }, { name: '#locked', key: 'right-key' }] }), clock);
  await backend.connect();
  await logged(/ERROR the server refused to let us join .*channel=#locked numeric=475/);
  t.equal(backend.connected, false, 'not connected until in every channel');
  await backend.send('irc:#ops', notice('waiting for #locked'));

  operator.raw('MODE #locked -k other-key');
  operator.raw('MODE #locked +k right-key');
  await operator.waitForLine(/MODE #locked \+k :?right-key/);
  clock.advance(REJOIN_DELAY_MS);
  await operator.waitForLine(/:relay!\S+ JOIN #locked/);
  const [message] = await operator.waitForMessages('#ops', 1);
  t.equal(message.text, 'waiting for #locked');
});

t.test('NickServ IDENTIFY: joins once logged in, or after a while without a login', async (t) => {
  const server = await ircd(t);
  await server.registerAccount('relaybot', 'bot-secret');
  const watcher = await person(t, server, { nick: 'watcher' }, '#ops');
  const identified = backendUnderTest(t, testIrcConfig(server.port, { nick: 'relaybot', nickservPassword: 'bot-secret' }));
  await identified.backend.connect();
  // extended-join shows the account the joining user is logged in to.
  await watcher.waitForLine(/:relaybot!\S+ JOIN #ops relaybot /);
  await identified.logged(/INFO logged in with NickServ .*account=relaybot/);

  const clock = new FakeClock();
  const refused = backendUnderTest(t, testIrcConfig(server.port, { nick: 'other', nickservPassword: 'wrong' }), clock);
  const connected = refused.backend.connect();
  await refused.logged(/INFO registered on the IRC server .*nick=other/);
  clock.advance(NICKSERV_LOGIN_TIMEOUT_MS);
  await connected;
  await watcher.waitForLine(/:other!\S+ JOIN #ops \* /);
  await refused.logged(/WARN no NickServ login after IDENTIFY; joining anyway/);
});
