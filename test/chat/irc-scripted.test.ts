/**
 * The IRC backend against a scripted server, for what real servers do rarely or only when
 * broken: swallowing lines, refusing them, never answering, forcing nick changes and parts.
 */
import { createServer, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t, { type Test } from 'tap';
import {
  alternativeNick,
  CONNECT_TIMEOUT_MS,
  ECHO_TIMEOUT_MS,
  IrcBackend,
  MAX_BYTES_IN_FLIGHT,
  MAX_LINES_IN_FLIGHT,
  NICK_REGAIN_INTERVAL_MS,
  QUIT_TIMEOUT_MS,
  REGISTRATION_TIMEOUT_MS,
  REJOIN_DELAY_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
  WHOIS_TIMEOUT_MS,
} from '../../src/chat/irc/backend.js';
import { textBudget } from '../../src/chat/irc/render.js';
import { DEFAULT_RETRY_MS } from '../../src/chat/outbox.js';
import { SLOW_DOWN_WINDOW_MS } from '../../src/commands/budget.js';
import { parseConfig, type IrcConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { backendUnderTest, eventually, notice, testIrcConfig } from '../harness/irc-client.js';
import { FakeClock } from '../helpers/fake-clock.js';

// For the memory test: a heap measured after a full collection, not whenever V8 last ran one.
setFlagsFromString('--expose-gc');
// The 50,000-sender test takes about half a minute on an idle machine: more than the suite's
// per-file default when the cores are shared.
t.setTimeout(600_000);

interface ScriptOptions {
  /** IRCv3 capabilities to offer and acknowledge. */
  caps?: string[];
  /** Accept connections and never say a word. */
  silent?: boolean;
  /** Keep the connection open after QUIT. */
  ignoreQuit?: boolean;
  /** Answer every WHOIS: nobody logged in. */
  answerWhois?: boolean;
}

interface ScriptedServer {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Every line the relay sent, over all connections. */
  received: string[];
  /** Sends a line to the relay's current connection. */
  send(line: string): void;
  /** Closes the relay's current connection. */
  closeConnection(): void;
  /** Resolves once the relay has sent a line matching `pattern` (`count` of them). */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
}

/** Just enough of a server to register a client and let it join; everything else is up to the test. */
async function scriptedServer(t: Test, options: ScriptOptions = {}): Promise<ScriptedServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let current: Socket | undefined;
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    current = socket;
    let nick = '*';
    let buffered = '';
    const reply = (line: string) => socket.write(`${line}\r\n`);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\r\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        received.push(line);
        if (options.silent) continue;
        const [command, argument] = line.split(' ', 2);
        if (line.startsWith('CAP LS')) reply(`:irc.fake CAP * LS :${(options.caps ?? []).join(' ')}`);
        else if (line.startsWith('CAP REQ')) reply(`:irc.fake CAP * ACK ${line.slice('CAP REQ '.length)}`);
        else if (command === 'NICK' && nick === '*') nick = argument;
        else if (line === 'CAP END') reply(`:irc.fake 001 ${nick} :Welcome`);
        else if (command === 'JOIN') reply(`:${nick}!relay@fake JOIN ${argument}`);
        else if (command === 'QUIT' && !options.ignoreQuit) socket.end();
        else if (command === 'WHOIS' && options.answerWhois) reply(`:irc.fake 318 ${nick} ${argument} :End of /WHOIS list.`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => connections,
    received,
    send: (line) => current?.write(`${line}\r\n`),
    closeConnection: () => current?.end(),
    waitFor: (pattern, count = 1) =>
      eventually(
        () => received.filter((line) => pattern.test(line)).length >= count,
        () => `${count} lines matching ${pattern}; received:\n${received.join('\n')}`,
      ),
  };
}

/** The backend under test on a scripted server, with a clock of its own. */
function setup(t: Test, server: ScriptedServer, overrides: Partial<IrcConfig> = {}) {
  const clock = new FakeClock();
  return { clock, ...backendUnderTest(t, testIrcConfig(server.port, overrides), clock) };
}

t.test('alternative nicks: underscores, then digits', async (t) => {
  t.equal(alternativeNick('relay', 1, () => 0.5), 'relay_');
  t.equal(alternativeNick('relay', 2, () => 0.5), 'relay__');
  t.equal(alternativeNick('relay', 3, () => 0.0421), 'relay042');
});

t.test('a line the server never echoes counts as sent after a while', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, clock, logged } = setup(t, server);
  await backend.connect();
  await backend.send('irc:#ops', notice('first'));
  await backend.send('irc:#ops', notice('second'));
  await server.waitFor(/^PRIVMSG #ops :first$/);
  t.notOk(server.received.includes('PRIVMSG #ops :second'), 'one line at a time, until the echo');
  clock.advance(ECHO_TIMEOUT_MS);
  await server.waitFor(/^PRIVMSG #ops :second$/);
  await logged(/WARN the server did not echo a message back; counting it as sent .*target=#ops/);
});

const channels = (...names: string[]) => names.map((name) => ({ name }));

t.test('lines to different targets wait for their echoes together; an echo or refusal settles the oldest line to its target', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, logged } = setup(t, server, { channels: channels('#a', '#b', '#c') });
  await backend.connect();
  for (const text of ['a1', 'b1', 'c1', 'a2', 'b2']) await backend.send(`irc:#${text[0]}`, notice(text));
  await server.waitFor(/^PRIVMSG #c :c1$/);
  t.ok(server.received.includes('PRIVMSG #a :a1') && server.received.includes('PRIVMSG #b :b1'), 'a line to each target before any echo');
  t.equal(backend.queueDepth, 2, "a target's next line waits for the echo of the one before");
  server.send(':relay!relay@fake PRIVMSG #b :b1');
  await server.waitFor(/^PRIVMSG #b :b2$/);
  t.equal(backend.queueDepth, 1, "#b's echo settled #b's line only");
  server.send(':irc.fake 404 relay #a :Cannot send to channel');
  await server.waitFor(/^PRIVMSG #a :a2$/);
  await logged(/ERROR the server refused a message; it is dropped .*target=#a numeric=404/);
  t.equal(server.received.filter((line) => line === 'PRIVMSG #a :a1').length, 1, 'the refused line is not sent again');
});

t.test('lines waiting for their echo at once: at most the configured burst, MAX_LINES_IN_FLIGHT and MAX_BYTES_IN_FLIGHT', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, clock } = setup(t, server, { channels: channels('#a', '#b', '#c'), rate: { burst: 2, perSecond: 1 } });
  await backend.connect();
  for (const name of ['#a', '#b', '#c']) await backend.send(`irc:${name}`, notice(`to ${name}`));
  await server.waitFor(/^PRIVMSG #b :to #b$/);
  clock.advance(2_000);
  t.equal(backend.queueDepth, 1, 'tokens again, but two lines wait for their echo');
  server.send(':relay!relay@fake PRIVMSG #a :to #a');
  await server.waitFor(/^PRIVMSG #c :to #c$/);

  const wide = await scriptedServer(t, { caps: ['echo-message'] });
  const names = Array.from({ length: MAX_LINES_IN_FLIGHT + 1 }, (_, i) => `#c${i}`);
  const { backend: unthrottled } = setup(t, wide, { channels: channels(...names) });
  await unthrottled.connect();
  for (const name of names) await unthrottled.send(`irc:${name}`, notice(`to ${name}`));
  await wide.waitFor(/^PRIVMSG #c\d+ /, MAX_LINES_IN_FLIGHT);
  t.equal(unthrottled.queueDepth, 1, 'the last waits for a place');
  wide.send(':relay!relay@fake PRIVMSG #c0 :to #c0');
  await wide.waitFor(/^PRIVMSG #c\d+ /, MAX_LINES_IN_FLIGHT + 1);

  // The longest lines: fewer of them fit the bytes.
  const heavy = await scriptedServer(t, { caps: ['echo-message'] });
  const longestLineBytes = Buffer.byteLength(`PRIVMSG #l0 :${'x'.repeat(textBudget('#l0'))}\r\n`);
  const longest = Math.floor(MAX_BYTES_IN_FLIGHT / longestLineBytes);
  const rooms = Array.from({ length: longest + 1 }, (_, i) => `#l${i}`);
  const { backend: full } = setup(t, heavy, { channels: channels(...rooms) });
  await full.connect();
  const texts = rooms.map((room) => `${room} `.padEnd(textBudget(room), 'x'));
  for (const [i, room] of rooms.entries()) await full.send(`irc:${room}`, notice(texts[i]));
  await heavy.waitFor(/^PRIVMSG #l\d+ /, longest);
  const sent = heavy.received.filter((line) => line.startsWith('PRIVMSG #l'));
  t.ok(sent.reduce((bytes, line) => bytes + Buffer.byteLength(line) + 2, 0) <= MAX_BYTES_IN_FLIGHT, `${longest} longest lines fit`);
  t.equal(full.queueDepth, 1, 'the next would not');
  heavy.send(`:relay!relay@fake ${sent[0]}`);
  await heavy.waitFor(/^PRIVMSG #l\d+ /, longest + 1);
});

t.test('a connection lost with lines waiting for their echoes: those go again after the reconnect, the echoed one does not', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, clock, logged } = setup(t, server, { channels: channels('#a', '#b', '#c') });
  await backend.connect();
  for (const name of ['#a', '#b', '#c']) await backend.send(`irc:${name}`, notice(`to ${name}`));
  await server.waitFor(/^PRIVMSG #c :to #c$/);
  server.send(':relay!relay@fake PRIVMSG #b :to #b');
  server.closeConnection();
  await logged(/INFO reconnecting to the IRC server later/);
  // The reconnect, then the outbox's retry.
  clock.advance(DEFAULT_RETRY_MS);
  await server.waitFor(/^PRIVMSG #a :to #a$/, 2);
  await server.waitFor(/^PRIVMSG #c :to #c$/, 2);
  server.send(':relay!relay@fake PRIVMSG #a :to #a');
  server.send(':relay!relay@fake PRIVMSG #c :to #c');
  await backend.send('irc:#b', notice('after'));
  await server.waitFor(/^PRIVMSG #b :after$/);
  t.equal(server.received.filter((line) => line === 'PRIVMSG #b :to #b').length, 1, 'the echoed line went once');
});

t.test("each line goes out as it is written, not held back by Nagle's algorithm until earlier ones are acknowledged", async (t) => {
  const noDelay: boolean[] = [];
  const setNoDelay = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, value?: boolean) {
    noDelay.push(value ?? true);
    return setNoDelay.call(this, value);
  };
  t.teardown(() => {
    Socket.prototype.setNoDelay = setNoDelay;
  });
  const server = await scriptedServer(t);
  const { backend } = setup(t, server);
  await backend.connect();
  t.same(noDelay, [true]);
});

t.test('a line the server refuses is dropped, not sent again', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, logged, logger } = setup(t, server);
  await backend.connect();
  await backend.send('irc:#ops', notice('refused'));
  await backend.send('irc:ghost', notice('to someone gone'));
  await backend.send('irc:#ops', notice('next'));
  await server.waitFor(/^PRIVMSG #ops :refused$/);
  server.send(':irc.fake 404 relay #ops :Cannot send to channel (+m)');
  await server.waitFor(/^PRIVMSG ghost :to someone gone$/);
  server.send(':irc.fake 401 relay ghost :No such nick');
  await server.waitFor(/^PRIVMSG #ops :next$/);
  await logged(/ERROR the server refused a message; it is dropped .*target=#ops numeric=404 reason="Cannot send to channel \(\+m\)"/);
  await logged(/ERROR the server refused a message; it is dropped .*target=ghost numeric=401/);
  t.equal(server.received.filter((line) => line === 'PRIVMSG #ops :refused').length, 1);
  server.send(':relay!relay@fake PRIVMSG #ops :next');
  server.send(':irc.fake 401 relay mallory :No such nick');
  server.send(':irc.fake 318 relay mallory :End of /WHOIS list.');
  await backend.send('irc:#ops', notice('last'));
  await server.waitFor(/^PRIVMSG #ops :last$/);
  t.notOk(logger.lines.some((line) => line.includes('target=mallory')), 'a 401 that answers something else is no refusal');
});

t.test('without echo-message a refusal is still reported', async (t) => {
  const server = await scriptedServer(t);
  const { backend, logged } = setup(t, server);
  await backend.connect();
  await backend.send('irc:#ops', notice('refused'));
  await server.waitFor(/^PRIVMSG #ops :refused$/);
  server.send(':irc.fake 404 relay #ops :Cannot send to channel');
  await logged(/ERROR the server refused a message; it is dropped .*target=#ops numeric=404/);
});

t.test('kicked while a line waits for its echo: the line goes again after the rejoin', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, clock, logged } = setup(t, server);
  await backend.connect();
  await backend.send('irc:#ops', notice('in flight'));
  await server.waitFor(/^PRIVMSG #ops :in flight$/);
  server.send(':op!op@fake KICK #ops relay :bye');
  await logged(/WARN sending failed, will retry .*no longer in #ops/);
  clock.advance(REJOIN_DELAY_MS);
  await server.waitFor(/^JOIN #ops$/, 2);
  await server.waitFor(/^PRIVMSG #ops :in flight$/, 2);
  server.send(':relay!relay@fake PRIVMSG #ops :in flight');

  // Two lines; the first is echoed, and the KICK comes before the second is sent: both go again.
  await backend.send('irc:#ops', notice(`${'a'.repeat(300)} ${'b'.repeat(300)}`));
  await server.waitFor(/^PRIVMSG #ops :a+$/);
  server.send(':relay!relay@fake PRIVMSG #ops :aaa\r\n:op!op@fake KICK #ops relay :again');
  await logged(/WARN sending failed, will retry .*not connected to IRC/);
  clock.advance(2 * REJOIN_DELAY_MS);
  await server.waitFor(/^JOIN #ops$/, 3);
  await server.waitFor(/^PRIVMSG #ops :a+$/, 2);
  server.send(':relay!relay@fake PRIVMSG #ops :aaa');
  await server.waitFor(/^PRIVMSG #ops :b+$/);
});

t.test('parted or renamed by the server: the relay rejoins and takes its nick back', async (t) => {
  const server = await scriptedServer(t);
  const { backend, clock, logged } = setup(t, server);
  await backend.connect();
  server.send(':relay!relay@fake PART #ops :services said so');
  await logged(/WARN not in channel, rejoining later .*reason="parted \(services said so\)"/);
  clock.advance(REJOIN_DELAY_MS);
  await server.waitFor(/^JOIN #ops$/, 2);

  server.send(':relay!relay@fake NICK Guest1');
  server.send(':Guest1!relay@fake NICK Guest2');
  await logged(/WARN our nick was changed .*nick=Guest2 configured=relay/);
  t.same(clock.pendingDelays(), [NICK_REGAIN_INTERVAL_MS], 'one attempt scheduled, not two');
  clock.advance(NICK_REGAIN_INTERVAL_MS);
  await server.waitFor(/^NICK relay$/, 2);
  server.send(':Guest2!relay@fake NICK relay');
  await logged(/INFO took back the configured nick/);
  await backend.send('irc:#ops', notice('still here'));
  await server.waitFor(/^PRIVMSG #ops :still here$/);
});

t.test('only messages people write to the relay are handed on; a WHOIS without answer leaves the sender unknown', async (t) => {
  const server = await scriptedServer(t);
  const { backend, clock, incoming, logged, logger } = setup(t, server);
  let calls = 0;
  backend.onMessage((message) => {
    if (++calls === 1) throw new Error('handler broke');
    incoming.push(message);
  });
  await backend.connect();
  server.send(':bob!bob@fake PRIVMSG #other :not our channel');
  server.send(':bob!bob@fake NOTICE #ops :a notice');
  server.send(':bob!bob@fake PRIVMSG #ops :\x01ACTION waves\x01');
  server.send(':irc.fake PRIVMSG #ops :from the server');
  server.send(':relay!relay@fake JOIN #elsewhere');
  server.send(':relay!relay@fake PART #elsewhere');
  server.send(':bob!bob@fake NICK bob2');
  server.send(':bob2!bob@fake PART #ops :bye');
  server.send(':op!op@fake KICK #ops carol :out');
  server.send(':mallory!m@fake PRIVMSG #ops :first');
  server.send(':mallory!m@fake PRIVMSG #OPS :second');
  await eventually(() => incoming.length === 1, 'the second message');
  const [second] = incoming;
  t.match(second, { destination: 'irc:#ops', text: 'second', direct: false, sender: { identity: undefined, displayName: 'mallory', rateKey: 'irc:m@fake' } });
  await logged(/ERROR handling an incoming IRC message failed .*from=mallory error="handler broke"/);
  t.notOk(server.received.some((line) => line.startsWith('WHOIS')), 'handed on without a WHOIS: only a command the relay acts on asks');
  const identity = second.sender.identify!();
  await server.waitFor(/^WHOIS mallory$/);
  clock.advance(WHOIS_TIMEOUT_MS);
  t.equal(await identity, undefined, 'no answer: unidentified');
  t.equal(logger.lines.filter((line) => line.includes('no answer to WHOIS')).length, 1);
});

t.test('close() cuts off a server that ignores QUIT; connect() and close() twice are harmless', async (t) => {
  const server = await scriptedServer(t, { ignoreQuit: true });
  const { backend, clock } = setup(t, server);
  await backend.connect();
  await backend.connect();
  const closed = backend.close();
  await server.waitFor(/^QUIT :icinga-relay stopping$/);
  clock.advance(QUIT_TIMEOUT_MS);
  await closed;
  await backend.close();
  t.same(clock.pendingDelays(), [], 'no timers left');
});

t.test('a server that accepts and never welcomes us: the first attempt fails after a while and is retried', async (t) => {
  const server = await scriptedServer(t, { silent: true });
  const { backend, clock, logged } = setup(t, server);
  const connected = backend.connect();
  await server.waitFor(/^NICK relay$/);
  clock.advance(CONNECT_TIMEOUT_MS);
  t.same(clock.pendingDelays(), [REGISTRATION_TIMEOUT_MS - CONNECT_TIMEOUT_MS], 'connected over TCP: only the welcome is awaited');
  clock.advance(REGISTRATION_TIMEOUT_MS - CONNECT_TIMEOUT_MS);
  await connected;
  await logged(new RegExp(`ERROR the IRC server did not welcome us; disconnecting .*waitedMs=${REGISTRATION_TIMEOUT_MS}`));
  await eventually(() => clock.pendingDelays().length === 1, 'the reconnect');
  t.same(clock.pendingDelays(), [1_000], 'a reconnect is scheduled');
  clock.advance(1_000);
  await eventually(() => server.connections() === 2, 'the second attempt');
});

t.test('a TLS handshake that never completes fails after a while and is retried', async (t) => {
  const server = await scriptedServer(t, { silent: true });
  const { backend, clock, logged } = setup(t, server, { tls: true });
  const connected = backend.connect();
  await eventually(() => clock.pendingDelays().includes(TLS_HANDSHAKE_TIMEOUT_MS), 'the TCP connect, then the handshake timer');
  clock.advance(TLS_HANDSHAKE_TIMEOUT_MS);
  await connected;
  await logged(new RegExp(`ERROR could not connect to the IRC server .*error="no TLS handshake from 127.0.0.1:${server.port} within 5 s: is this port TLS`));
  t.same(clock.pendingDelays(), [1_000], 'a reconnect is scheduled');
  await backend.close();
  t.same(clock.pendingDelays(), [], 'close() cancels it');

  const { backend: closedEarly } = setup(t, server, { tls: true });
  const connecting = closedEarly.connect();
  await eventually(() => server.connections() === 2, 'the second connection');
  await closedEarly.close();
  await connecting;
});

t.test('a connection lost while identifying senders leaves them unidentified', async (t) => {
  const server = await scriptedServer(t);
  const { backend, incoming } = setup(t, server);
  await backend.connect();
  server.send(':mallory!m@fake PRIVMSG #ops :first');
  server.send(':eve!e@fake PRIVMSG #ops :second');
  await eventually(() => incoming.length === 2, 'both messages');
  const mallory = incoming[0].sender.identify!();
  await server.waitFor(/^WHOIS mallory$/);
  server.send('ERROR :Closing link');
  server.closeConnection();
  t.equal(await mallory, undefined, 'the lookup under way ends unidentified');
  await eventually(() => !backend.connected, 'the connection gone');
  t.equal(await incoming[1].sender.identify!(), undefined, 'and one asked after it too');
  t.same(
    incoming.map((message) => [message.sender.displayName, message.sender.identity]),
    [
      ['mallory', undefined],
      ['eve', undefined],
    ],
  );
  t.notOk(server.received.includes('WHOIS eve'), 'no WHOIS on a closed connection');
});

t.test('a server without SASL: the log says services are not reachable or to use nickserv_password, and retries slowly', async (t) => {
  const server = await scriptedServer(t);
  const { backend, clock, logged, logger } = setup(t, server, { sasl: { account: 'relay', password: 'secret' } });
  await backend.connect();
  await logged(/ERROR SASL login failed: the server offers no SASL: its services \(NickServ, SaslServ\) are not reachable, or the network has none \(then use nickserv_password instead\); disconnecting, retrying in 5 s .*reason=capability_missing/);
  await logged(/reconnecting to the IRC server later .*inMs=5000/);
  t.same(clock.pendingDelays(), [5_000]);
  t.notOk(logger.lines.some((line) => line.includes('could not connect')));
  t.notOk(logger.lines.some((line) => line.includes('joined')), 'never joined without its login: irc-framework alone would have');
});

t.test('a server that offers other capabilities but not SASL: irc-framework reports it; same message, same slow retry', async (t) => {
  const server = await scriptedServer(t, { caps: ['echo-message'] });
  const { backend, clock, logged, logger } = setup(t, server, { sasl: { account: 'relay', password: 'secret' } });
  await backend.connect();
  await logged(/ERROR SASL login failed: the server offers no SASL: .*reason=capability_missing/);
  await logged(/reconnecting to the IRC server later .*inMs=5000/);
  t.same(clock.pendingDelays(), [5_000]);
  t.notOk(logger.lines.some((line) => line.includes('joined')), 'never joined without its login');
});

t.test('WHOIS: one per nick at a time, side by side for different nicks, kept while account-notify keeps it right', async (t) => {
  const server = await scriptedServer(t, { caps: ['account-notify'] });
  const { backend, clock, incoming } = setup(t, server);
  await backend.connect();
  server.send(':irc.fake 353 relay = #ops :relay alice @op');
  server.send(':irc.fake 366 relay #ops :End of /NAMES list.');
  const whoisAnswer = (nick: string, account?: string) => {
    server.send(`:irc.fake 311 relay ${nick} ${nick} fake * :${nick}`);
    if (account !== undefined) server.send(`:irc.fake 330 relay ${nick} ${account} :is logged in as`);
    server.send(`:irc.fake 318 relay ${nick} :End of /WHOIS list.`);
  };
  const whoisCount = (nick: string) => server.received.filter((line) => line === `WHOIS ${nick}`).length;
  /** What the relay learns of the sender of the next line: the identity it came with, or what identify() finds. */
  const identityOfNext = async (line: string, answer?: () => void) => {
    const before = incoming.length;
    server.send(line);
    await eventually(() => incoming.length > before, `the line ${line}`);
    const { sender } = incoming[before];
    if (sender.identify === undefined) return sender.identity;
    const found = sender.identify();
    answer?.();
    return found;
  };

  // A slow WHOIS for eve holds nobody else up; two lines from dave wait for one WHOIS.
  server.send(':eve!e@fake PRIVMSG #ops :!status web01');
  server.send(':dave!d@fake PRIVMSG relay :status web01');
  server.send(':dave!d@fake PRIVMSG relay :status db01');
  await eventually(() => incoming.length === 3, 'the three lines');
  const eve = incoming[0].sender.identify!();
  const dave = [incoming[1].sender.identify!(), incoming[2].sender.identify!()];
  await server.waitFor(/^WHOIS dave$/);
  t.equal(whoisCount('eve'), 1, 'both asked at once');
  whoisAnswer('dave', 'dave');
  t.same(await Promise.all(dave), ['irc:dave', 'irc:dave'], "dave's answer comes while eve's WHOIS is still unanswered");
  t.equal(whoisCount('dave'), 1, 'one WHOIS for both his lines');
  clock.advance(WHOIS_TIMEOUT_MS);
  t.equal(await eve, undefined);
  t.equal(WHOIS_TIMEOUT_MS, 5_000, 'a short wait');
  t.equal(await identityOfNext(':dave!d@fake PRIVMSG relay :status web01', () => whoisAnswer('dave', 'dave')), 'irc:dave');
  t.equal(whoisCount('dave'), 2, 'dave shares no channel with the relay: nobody would tell it his account changed, so it asks again');

  // alice is in #ops: her account is kept until the server says it changed.
  t.equal(await identityOfNext(':alice!a@fake PRIVMSG #ops :!status', () => whoisAnswer('alice', 'alice')), 'irc:alice');
  t.equal(await identityOfNext(':alice!a@fake PRIVMSG #ops :!ack web01 mine'), 'irc:alice', 'known without asking');
  t.equal(whoisCount('alice'), 1);
  server.send(':alice!a@fake ACCOUNT *');
  t.equal(await identityOfNext(':alice!a@fake PRIVMSG #ops :!ack web01 mine'), undefined, 'logged out (account-notify): no identity, no WHOIS');
  server.send(':alice!a@fake ACCOUNT alice');
  t.equal(await identityOfNext(':alice!a@fake PRIVMSG #ops :!ack web01 mine'), 'irc:alice', 'logged in again');
  server.send(':alice!a@fake NICK alice_away');
  t.equal(await identityOfNext(':alice_away!a@fake PRIVMSG #ops :!status'), 'irc:alice', 'her account goes with her new nick');
  server.send(':mallory!m@fake NICK alice');
  t.equal(await identityOfNext(':alice!m@fake PRIVMSG relay :ack web01 mine', () => whoisAnswer('alice')), undefined, 'the nick she left is asked about anew');
  t.equal(whoisCount('alice'), 2);
  server.send(':alice_away!a@fake QUIT :bye');
  server.send(':alice_away!x@fake JOIN #ops');
  t.equal(await identityOfNext(':alice_away!x@fake PRIVMSG #ops :!status', () => whoisAnswer('alice_away')), undefined, 'after a QUIT, whoever has the nick is asked about');
  t.equal(whoisCount('alice_away'), 1);
});

t.test('50,000 distinct senders once each: memory and /metrics come back to where they were', async (t) => {
  const server = await scriptedServer(t, { answerWhois: true });
  const clock = new FakeClock();
  // Quiet: a logger that kept lines would be what grows.
  const logger = createLogger({ level: 'error', write: () => {} });
  const backend = new IrcBackend(testIrcConfig(server.port, { rate: { burst: 1_000, perSecond: 100_000 }, queueSize: 1_000 }), { logger, clock, random: () => 0 });
  const { config } = parseConfig(
    `icinga:\n  url: https://127.0.0.1:1\n  username: relay\n  password: secret\nchat:\n  irc:\n    server: 127.0.0.1\n    port: ${server.port}\n    tls: false\n    channels: ['#ops']\n`,
    { env: {} },
  );
  const relay = new Relay(config, { logger, clock, random: () => 0.5, backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  const gc = runInNewContext('gc') as () => void;
  let senders = 0;
  /** `count` new senders (nick, user and host of their own) write to the relay once each, in the channel or directly; resolves once all are answered. */
  const strangers = async (count: number) => {
    for (let done = 0; done < count; done += 1_000) {
      const lines = [];
      for (let index = 0; index < Math.min(1_000, count - done); index++, senders++) {
        const id = senders;
        lines.push(id % 2 === 0 ? `:s${id}!u${id}@h${id}.example PRIVMSG #ops :!whoami` : `:s${id}!u${id}@h${id}.example PRIVMSG relay :whoami`);
      }
      server.send(lines.join('\r\n'));
      const whoisCount = () => server.received.filter((line) => line.startsWith('WHOIS ')).length;
      await eventually(() => whoisCount() === lines.length, () => `WHOIS for all ${lines.length} senders, got ${whoisCount()}; last lines: ${server.received.slice(-3).join(' | ')}`);
      // Replies leave through the outbox, paced on the test's clock.
      for (let step = 0; backend.queueDepth > 0; step++) {
        if (step > 1_000) throw new Error(`replies still queued: ${backend.queueDepth}`);
        clock.advance(10);
        await new Promise((resolve) => setImmediate(resolve));
      }
      server.received.length = 0;
    }
  };
  /** Once every budget has filled up again and one more sender came (budgets are tidied as senders come). */
  const settled = async () => {
    clock.advance(SLOW_DOWN_WINDOW_MS + 60_000);
    await strangers(1);
    // Several full collections, with turns of the event loop between them: one leaves garbage that finalizers free.
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
    }
    return { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, metrics: await relay.metrics.registry.metrics() };
  };
  const MB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

  await strangers(2_000);
  const before = await settled();
  let peakRss = 0;
  for (let round = 0; round < 50; round++) {
    await strangers(1_000);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const after = await settled();
  t.comment(
    `50,000 senders: RSS ${MB(before.rss)} MB before, ${MB(peakRss)} MB at most during, ${MB(after.rss)} MB after; ` +
      `heap after gc ${MB(before.heap)} -> ${MB(after.heap)} MB; /metrics ${before.metrics.length} -> ${after.metrics.length} bytes`,
  );
  t.ok(after.heap - before.heap < 3 * 2 ** 20, `the heap after gc is back within 3 MB (${MB(after.heap - before.heap)} MB more)`);
  t.ok(after.metrics.length - before.metrics.length < 1_024, `/metrics is back within 1 KiB (${after.metrics.length - before.metrics.length} bytes more: counts have more digits)`);
  t.notMatch(after.metrics, /s\d+|u\d+@|h\d+\.example/, 'no sender in any label');
  t.ok(relay.commands.sendersTracked <= 2, `no budgets left but the last senders' (${relay.commands.sendersTracked})`);
});
