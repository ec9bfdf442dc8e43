/**
 * The IRC backend against a scripted server, for what real servers do rarely or only when
 * broken: swallowing lines, refusing them, never answering, forcing nick changes and parts.
 */
import { createServer, Socket } from 'node:net';
import t, { type Test } from 'tap';
import {
  alternativeNick,
  CONNECT_TIMEOUT_MS,
  ECHO_TIMEOUT_MS,
  MAX_BYTES_IN_FLIGHT,
  MAX_LINES_IN_FLIGHT,
  NICK_REGAIN_INTERVAL_MS,
  QUIT_TIMEOUT_MS,
  REJOIN_DELAY_MS,
  WHOIS_TIMEOUT_MS,
} from '../../src/chat/irc/backend.js';
import { textBudget } from '../../src/chat/irc/render.js';
import { DEFAULT_RETRY_MS } from '../../src/chat/outbox.js';
import type { IrcConfig } from '../../src/config/index.js';
import { backendUnderTest, eventually, notice, testIrcConfig } from '../harness/irc-client.js';
import { FakeClock } from '../helpers/fake-clock.js';

interface ScriptOptions {
  /** IRCv3 capabilities to offer and acknowledge. */
  caps?: string[];
  /** Accept connections and never say a word. */
  silent?: boolean;
  /** Keep the connection open after QUIT. */
  ignoreQuit?: boolean;
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

t.test('a TLS handshake that never completes fails after a while and is retried', async (t) => {
  const server = await scriptedServer(t, { silent: true });
  const { backend, clock, logged } = setup(t, server, { tls: true });
  const connected = backend.connect();
  await eventually(() => server.connections() === 1, 'the connection');
  clock.advance(CONNECT_TIMEOUT_MS);
  await connected;
  await logged(new RegExp(`ERROR could not connect to the IRC server .*error="no connection to 127.0.0.1:${server.port} within 30 s"`));
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
