/**
 * The contract every networked chat backend keeps, checked once for each against its real server
 * (InspIRCd with Atheme, Prosody) or the Slack fake: messages sent before the backend is ready
 * wait and are delivered, in order; flush() says how many are left; a dropped connection comes
 * back after the configured delay and is counted; close() may be called twice; what a person with
 * a verified account writes comes with that identity. The backends' own tests cover the rest.
 */
import t, { type Test } from 'tap';
import type { ChatBackend, IncomingMessage } from '../../src/chat/backend.js';
import { IrcBackend } from '../../src/chat/irc/backend.js';
import { SlackBackend } from '../../src/chat/slack/backend.js';
import { createXmppClient, XmppBackend } from '../../src/chat/xmpp/backend.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { eventually, IrcTestClient, testIrcConfig } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { MUC_DOMAIN, startProsody, startWatcher } from '../harness/prosody.js';
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN, SlackFake } from '../harness/slack-fake.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Every backend here reconnects after exactly this long (no jitter: random is 0). */
const RECONNECT_MS = 1_000;
const ROOM = `ops@${MUC_DOMAIN}`;

const message = (text: string): RelayMessage => ({ eventType: 'StateChange', severity: 'critical', text, timestamp: 0, fields: {} });

/** One backend on its server, not connected yet, with a person in its destination. */
interface Subject {
  backend: ChatBackend;
  destination: string;
  /** Once the backend is connected: what a person needs before watching and writing. */
  ready(): Promise<void>;
  /** Resolves with the relay's texts a person in the destination saw, once there are `count`. */
  seen(count: number): Promise<string[]>;
  /** A person with a verified account writes `text` there; `identity` is what the backend must say. */
  write(text: string): Promise<void>;
  identity: string;
  /** Ends the relay's connection from the server's side; the server stays up. */
  drop(): Promise<void>;
}

async function irc(t: Test, clock: FakeClock): Promise<Subject> {
  const server = await startIrcd();
  t.teardown(() => server.destroy());
  await server.registerAccount('alice', 'alice-secret');
  const alice = await IrcTestClient.connect({ port: server.port, nick: 'alice', account: { name: 'alice', password: 'alice-secret' } });
  t.teardown(() => alice.quit());
  await alice.join('#ops');
  const backend = new IrcBackend(testIrcConfig(server.port, { reconnect: { minMs: RECONNECT_MS, maxMs: RECONNECT_MS } }), { logger: memoryLogger(), clock, random: () => 0 });
  return {
    backend,
    destination: 'irc:#ops',
    ready: async () => {},
    seen: async (count) => (await alice.waitForMessages('#ops', count)).filter((line) => line.nick === 'relay').map((line) => line.text),
    write: async (text) => alice.say('#ops', text),
    identity: 'irc:alice',
    drop: () => server.killClient('relay', 'the contract test'),
  };
}

async function xmpp(t: Test, clock: FakeClock): Promise<Subject> {
  const server = await startProsody({ accounts: ['relay', 'alice'] });
  t.teardown(() => server.destroy());
  const { relay } = server.accounts;
  const backend = new XmppBackend(
    {
      service: server.service,
      jid: relay.jid,
      password: relay.password,
      allowPlaintext: true,
      nick: 'icinga-relay',
      rooms: [{ jid: ROOM }],
      membersOnly: false,
      members: [],
      rate: { burst: 100, perSecond: 100 },
      queueSize: 100,
      reconnect: { minMs: RECONNECT_MS, maxMs: RECONNECT_MS },
    },
    { logger: memoryLogger(), clock, random: () => 0 },
  );
  let alice: Awaited<ReturnType<typeof startWatcher>> | undefined;
  return {
    backend,
    destination: `xmpp:${ROOM}`,
    // After the relay made the room non-anonymous: alice's real JID is visible to it. She gets the room's history.
    ready: async () => {
      alice = await startWatcher(server, server.accounts.alice);
      t.teardown(() => alice!.stop());
      await alice.join(ROOM, 'alice');
    },
    seen: async (count) =>
      (await alice!.waitForMessages((received) => received.from === `${ROOM}/icinga-relay` && received.type === 'groupchat', count, 10_000)).map((received) => received.text),
    write: (text) => alice!.sayInRoom(ROOM, text),
    identity: `xmpp:${server.accounts.alice.jid}`,
    // A second login with the relay's resource: the server ends the relay's session (resource conflict).
    drop: async () => {
      const { client } = createXmppClient({ service: server.service, jid: relay.jid, password: relay.password, resource: 'icinga-relay', allowPlaintext: true });
      await client.start();
      await client.stop();
    },
  };
}

async function slack(t: Test, clock: FakeClock): Promise<Subject> {
  const fake = await SlackFake.start();
  t.teardown(() => fake.close());
  const backend = new SlackBackend(
    {
      botToken: FAKE_BOT_TOKEN,
      appToken: FAKE_APP_TOKEN,
      channels: ['#ops'],
      apiUrl: fake.apiUrl,
      retries: 0,
      threads: true,
      broadcastRecoveries: true,
      editRoot: true,
      rate: { burst: 100, perSecond: 100 },
      queueSize: 100,
      reconnect: { minMs: RECONNECT_MS, maxMs: RECONNECT_MS },
    },
    { logger: memoryLogger(), clock, random: () => 0 },
  );
  return {
    backend,
    destination: 'slack:#ops',
    ready: async () => {},
    seen: async (count) => {
      await fake.waitFor(() => fake.posted.length >= count, `${count} posts`);
      return fake.posted.map((post) => post.text ?? '');
    },
    // Slack names the user who wrote: its user ID is the identity.
    write: async (text) => void fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', text }),
    identity: 'slack:U0ALICE',
    drop: async () => fake.dropSockets(),
  };
}

for (const [name, start] of Object.entries({ irc, xmpp, slack })) {
  t.test(`the ${name} backend keeps the backend contract`, async (t) => {
    const clock = new FakeClock();
    const subject = await start(t, clock);
    const { backend, destination } = subject;
    const incoming: IncomingMessage[] = [];
    backend.onMessage((received) => incoming.push(received));
    t.teardown(() => backend.close());

    await backend.send(destination, message('sent before ready 1'));
    await backend.send(destination, message('sent before ready 2'));
    t.equal(backend.connected, false, 'not connected before connect()');
    t.equal(backend.queueDepth, 2, 'both wait in the queue');
    t.equal(backend.alertsPending, 2);
    const left = backend.flush!(5_000);
    clock.advance(5_000);
    t.equal(await left, 2, 'flush says how many are left at its deadline');

    await backend.connect();
    await eventually(() => backend.connected, 'connected');
    await subject.ready();
    t.same(await subject.seen(2), ['sent before ready 1', 'sent before ready 2'], 'delivered once ready, in order');
    t.equal(await backend.flush!(5_000), 0, 'nothing left');
    t.equal(backend.alertsPending, 0);

    await subject.write('status web01');
    await eventually(() => incoming.some((received) => received.text === 'status web01'), 'the person writing');
    t.match(incoming.find((received) => received.text === 'status web01'), { destination, text: 'status web01', sender: { identity: subject.identity } }, 'the verified identity comes through');

    t.equal(backend.counters!.reconnects, 0);
    await subject.drop();
    await eventually(() => backend.counters!.reconnects === 1, 'the lost connection to be noticed');
    clock.advance(RECONNECT_MS);
    await eventually(() => backend.connected, 'connected again');
    await backend.send(destination, message('after the reconnect'));
    t.same((await subject.seen(3)).slice(-1), ['after the reconnect'], 'delivered after the reconnect');
    t.equal(backend.counters!.reconnects, 1, 'one reconnect, counted');

    await Promise.all([backend.close(), backend.close()]);
    await backend.close();
    t.equal(backend.connected, false, 'closed');
    t.equal(await backend.flush!(5_000), 0, 'a closed backend does not wait');
  });
}
