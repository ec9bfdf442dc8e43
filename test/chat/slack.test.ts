/**
 * The Slack backend against test/harness/slack-fake.ts (and, once, a real Icinga2): posting,
 * channel resolution, pacing, 429s, outages, Socket Mode with acks, filtering and reconnects.
 * Where time matters the backend runs on a FakeClock; the fake itself answers over loopback.
 */
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage } from '../../src/chat/backend.js';
import { SlackBackend } from '../../src/chat/slack/backend.js';
import type { Clock } from '../../src/clock.js';
import { parseConfig, type SlackConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2 } from '../harness/icinga2.js';
import {
  FAKE_APP_TOKEN,
  FAKE_BOT_TOKEN,
  FAKE_BOT_USER_ID,
  SlackFake,
  type PostedMessage,
  type SlackFakeOptions,
} from '../harness/slack-fake.js';
import { FakeClock } from '../helpers/fake-clock.js';

// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;
/** Long enough for a post that should not happen to reach the fake over loopback. */
const QUIET_MS = 150;

const relayMessage = (text: string): RelayMessage => ({
  eventType: 'StateChange',
  severity: 'critical',
  host: 'web01',
  service: 'http',
  text: `CRITICAL web01!http: ${text}`,
  timestamp: 1_700_000_000,
  fields: {},
});

function slackConfig(fake: SlackFake, overrides: Partial<SlackConfig> = {}): SlackConfig {
  return {
    botToken: FAKE_BOT_TOKEN,
    appToken: FAKE_APP_TOKEN,
    channels: ['#ops', 'C0ALERTS'],
    apiUrl: fake.apiUrl,
    retries: 2,
    threads: true,
    broadcastRecoveries: true,
    editRoot: true,
    rate: { burst: 1, perSecond: 1 },
    queueSize: 100,
    reconnect: { minMs: 20, maxMs: 200 },
    ...overrides,
  };
}

interface Setup {
  fake: SlackFake;
  backend: SlackBackend;
  logger: ReturnType<typeof memoryLogger>;
  received: IncomingMessage[];
}

/** A fake and a backend on it (not connected yet), both closed when the test ends. */
async function setup(t: Test, options: { fake?: SlackFakeOptions; config?: Partial<SlackConfig>; clock?: Clock } = {}): Promise<Setup> {
  const fake = await SlackFake.start(options.fake);
  const logger = memoryLogger();
  const backend = new SlackBackend(slackConfig(fake, options.config), { logger, clock: options.clock, random: () => 0.5 });
  const received: IncomingMessage[] = [];
  backend.onMessage((message) => received.push(message));
  t.teardown(async () => {
    await backend.close();
    await fake.close();
  });
  return { fake, backend, logger, received };
}

const textsIn = (fake: SlackFake, channel: string) =>
  fake.posted.filter((post) => post.channel === channel).map((post) => post.text?.replace('CRITICAL web01!http: ', ''));

const logged = (logger: ReturnType<typeof memoryLogger>, pattern: RegExp) => logger.lines.some((line) => pattern.test(line));

/** Moves the fake clock a quarter second at a time, giving loopback I/O real time in between, until `done`. */
async function driveUntil(clock: FakeClock, done: () => boolean, what: string): Promise<void> {
  for (let step = 0; !done(); step++) {
    if (step === 400) throw new Error(`${what} did not happen within 100 s of fake time`);
    clock.advance(250);
    await sleep(10);
  }
}

t.test('a real Icinga2 event reaches the Slack channel, rendered, posted with the bot token; its plugin output mentions and links nobody', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const fake = await SlackFake.start();
  t.teardown(() => fake.close());
  const passwordFile = join(icinga.dir, 'relay-password');
  writeFileSync(passwordFile, icinga.users.restricted.password + '\n', { mode: 0o600 });
  const { config } = parseConfig(
    [
      'icinga:',
      `  url: ${icinga.url}`,
      `  ca_file: ${icinga.caFile}`,
      `  username: ${icinga.users.restricted.username}`,
      `  password_file: ${passwordFile}`,
      'chat:',
      '  slack:',
      `    bot_token: ${FAKE_BOT_TOKEN}`,
      `    app_token: ${FAKE_APP_TOKEN}`,
      "    channels: ['#ops']",
      `    api_url: ${fake.apiUrl}`,
      '',
    ].join('\n'),
    { env: {} },
  );
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, backends: [new SlackBackend(config.chat.slack!, { logger })] });
  t.teardown(() => relay.stop());
  await relay.start();
  // An event Icinga2 emits before the stream is subscribed is not delivered at all.
  await fake.waitFor(() => logged(logger, /event stream connected/), 'the event stream', 15_000);

  // Plugin output is anyone's text who can make a check print it: it must not page the channel.
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused <!channel> @here <@U123> <#C1>');
  const isTheEvent = (post: PostedMessage) => /^#\d+ CRITICAL web01!http/.test(post.text ?? '');
  await fake.waitFor(() => fake.posted.some(isTheEvent), 'the event in Slack', EVENT_WAIT_MS);
  const post = fake.posted.find(isTheEvent)!;
  t.equal(post.channel, 'C0OPS', '#ops was resolved to its ID');
  const escaped = 'connection refused &lt;!channel&gt; @here &lt;@U123&gt; &lt;#C1&gt;';
  t.match(post.text, new RegExp(`^#\\d+ CRITICAL web01!http: HTTP CRITICAL - ${escaped}`));
  t.match(post.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: new RegExp(`^:red_circle: #\\d+ CRITICAL \\*web01!http\\*: HTTP CRITICAL - ${escaped}`), verbatim: true } }]);
  t.notMatch(JSON.stringify(post.blocks) + post.text, /<[!@#]/, 'no mention or channel link opens');
  t.equal(post.params.parse, 'none', 'the fallback text is not parsed for @here or #channel');
  t.equal(post.params.link_names, 'false');
  t.same(
    fake.callsOf('chat.postMessage').map((call) => call.token),
    fake.callsOf('chat.postMessage').map(() => FAKE_BOT_TOKEN),
    'posted with the bot token',
  );
  t.equal(fake.callsOf('apps.connections.open')[0].token, FAKE_APP_TOKEN, 'Socket Mode opened with the app token');
  t.notOk(logger.lines.some((line) => line.includes(FAKE_BOT_TOKEN) || line.includes(FAKE_APP_TOKEN)), 'no token in the log');
});

t.test('channel names are resolved once, IDs are used as they are, an unknown name is reported and dropped', async (t) => {
  const clock = new FakeClock();
  const { fake, backend, logger } = await setup(t, {
    clock,
    fake: {
      channels: [
        { id: 'C0GENERAL', name: 'general' },
        { id: 'C0OLDOPS', name: 'old-ops', isArchived: true },
        { id: 'C0SECRET', name: 'secret', isPrivate: true },
        { id: 'C0HIDDEN', name: 'hidden', isPrivate: true, isMember: false },
        { id: 'C0RANDOM', name: 'random' },
        { id: 'C0OPS', name: 'ops' },
        { id: 'C0ALERTS', name: 'alerts' },
      ],
      maxPageSize: 2,
    },
    config: { channels: ['#ops', '#secret', 'C0ALERTS', '#nope', '#hidden'] },
  });
  t.same(backend.destinations, ['slack:#ops', 'slack:#secret', 'slack:C0ALERTS', 'slack:#nope', 'slack:#hidden']);
  await backend.connect();

  const lists = fake.callsOf('conversations.list');
  t.equal(lists.length, 3, 'five visible channels, two per page: every page read, since #nope is on none');
  t.same(lists[0].params, { types: 'public_channel,private_channel', exclude_archived: 'true', limit: '200' });
  t.ok(lists[1].params.cursor && lists[2].params.cursor && lists[1].params.cursor !== lists[2].params.cursor, 'pages follow next_cursor');
  for (const name of ['#nope', '#hidden']) {
    t.ok(logged(logger, new RegExp(`ERROR Slack channel not found: its messages will be dropped .* destination=slack:${name}`)), `${name} is reported`);
  }

  for (const destination of backend.destinations) await backend.send(destination, relayMessage(`to ${destination}`));
  await fake.waitFor(() => fake.posted.length === 3, 'the three resolvable posts');
  t.same(fake.posted.map((post) => post.channel).sort(), ['C0ALERTS', 'C0OPS', 'C0SECRET']);
  for (const name of ['#nope', '#hidden']) {
    const dropped = new RegExp(`ERROR dropping a message for an unresolved Slack channel .*destination=slack:${name} eventType=StateChange`);
    await fake.waitFor(() => logged(logger, dropped), `the drop for ${name} to be logged`);
  }
  await backend.send('slack:#elsewhere', relayMessage('to a name not configured'));
  await fake.waitFor(() => logged(logger, /dropping a message for an unresolved Slack channel .*destination=slack:#elsewhere/), 'the drop');
  await fake.waitFor(() => backend.deliveryFailures['unknown-destination'] === 3, 'the three drops counted');
  await t.rejects(backend.send('irc:#ops', relayMessage('x')), /the slack backend does not serve irc:#ops/);

  fake.requestRefresh();
  await driveUntil(clock, () => fake.connections === 2, 'the Socket Mode reconnect');
  clock.advance(1000);
  await backend.send('slack:#ops', relayMessage('after the reconnect'));
  await fake.waitFor(() => fake.posted.length === 4, 'the post after the reconnect');
  t.same(textsIn(fake, 'C0OPS'), ['to slack:#ops', 'after the reconnect']);
  t.equal(fake.callsOf('conversations.list').length, 3, 'names are not looked up again');

  const early = new SlackBackend(slackConfig(fake, { channels: ['#general'] }), { logger: memoryLogger(), clock });
  t.teardown(() => early.close());
  await early.connect();
  t.equal(fake.callsOf('conversations.list').length, 4, 'the listing stops at the page where the last name was found');
});

t.test('refusals are logged clearly and not retried; the other channels keep working', async (t) => {
  t.test('channel_not_found and not_in_channel', async (t) => {
    const { fake, backend, logger } = await setup(t, {
      fake: { channels: [{ id: 'C0OPS', name: 'ops' }, { id: 'C0NOTIN', name: 'notin', isMember: false }] },
      config: { channels: ['C0OPS', 'C0NOTIN', 'C0GONE'] },
    });
    await backend.connect();
    t.equal(fake.callsOf('conversations.list').length, 0, 'channel IDs need no lookup');
    for (const destination of backend.destinations) await backend.send(destination, relayMessage(destination));
    await fake.waitFor(() => fake.callsOf('chat.postMessage').length === 3, 'three posts');
    await sleep(QUIET_MS);
    t.equal(fake.callsOf('chat.postMessage').length, 3, 'no retries');
    t.same(textsIn(fake, 'C0OPS'), ['slack:C0OPS']);
    t.ok(logged(logger, /ERROR Slack refused a message, dropping it .*destination=slack:C0NOTIN eventType=StateChange error=not_in_channel/));
    t.ok(logged(logger, /ERROR Slack refused a message, dropping it .*destination=slack:C0GONE eventType=StateChange error=channel_not_found/));
    t.same(backend.deliveryFailures, { refused: 2 }, 'counted as delivery failures for /metrics, not as sent');
    t.equal(backend.alertsPending, 0, 'nothing waits for them');
  });

  t.test('a bot token without groups:read cannot resolve names; IDs still work', async (t) => {
    const { fake, backend, logger } = await setup(t, { fake: { botScopes: ['chat:write', 'channels:read'] } });
    await backend.connect();
    t.ok(logged(logger, /ERROR cannot list Slack channels to resolve channel names .*error="missing_scope \(needs scope groups:read\)"/));
    t.ok(logged(logger, /Slack channel not found.*destination=slack:#ops/));
    await backend.send('slack:C0ALERTS', relayMessage('still here'));
    await fake.waitFor(() => fake.posted.length === 1, 'the post by ID');
    t.same(textsIn(fake, 'C0ALERTS'), ['still here']);
  });

  t.test('a wrong bot token fails connect(); a wrong app token only stops receiving', async (t) => {
    const fake = await SlackFake.start();
    t.teardown(() => fake.close());
    const wrongBot = new SlackBackend(slackConfig(fake, { botToken: 'xoxb-revoked' }), { logger: memoryLogger() });
    t.teardown(() => wrongBot.close());
    await t.rejects(wrongBot.connect(), /^Slack refused the bot token: invalid_auth; check chat\.slack\.bot_token \(or bot_token_file\)$/);
    t.equal(fake.callsOf('apps.connections.open').length, 0, 'no Socket Mode without a working bot token');

    const logger = memoryLogger();
    const wrongApp = new SlackBackend(slackConfig(fake, { appToken: FAKE_BOT_TOKEN }), { logger });
    t.teardown(() => wrongApp.close());
    await wrongApp.connect();
    t.ok(logged(logger, /ERROR Slack refused the Socket Mode connection: messages people write will not arrive; check chat\.slack\.app_token \(or app_token_file\) .*error=not_allowed_token_type/));
    await sleep(QUIET_MS);
    t.equal(fake.callsOf('apps.connections.open').length, 1, 'a refused token is not tried again and again');
    await wrongApp.send('slack:#ops', relayMessage('posting works'));
    await fake.waitFor(() => fake.posted.length === 1, 'the post');
  });
});

t.test('about one message per second per channel, in order, each channel on its own', async (t) => {
  const clock = new FakeClock();
  const { fake, backend } = await setup(t, { clock });
  await backend.connect();
  for (const text of ['1', '2', '3']) {
    await backend.send('slack:#ops', relayMessage(`ops ${text}`));
    await backend.send('slack:C0ALERTS', relayMessage(`alerts ${text}`));
  }
  await fake.waitFor(() => fake.posted.length === 2, 'one post per channel');
  clock.advance(999);
  await sleep(QUIET_MS);
  t.equal(fake.posted.length, 2, 'nothing more within the second');
  clock.advance(1);
  await fake.waitFor(() => fake.posted.length === 4, 'the second second');
  clock.advance(1000);
  await fake.waitFor(() => fake.posted.length === 6, 'the third second');
  t.same(textsIn(fake, 'C0OPS'), ['ops 1', 'ops 2', 'ops 3']);
  t.same(textsIn(fake, 'C0ALERTS'), ['alerts 1', 'alerts 2', 'alerts 3']);
});

t.test('a 429 holds posts back for its Retry-After; nothing is lost, order is kept', async (t) => {
  const clock = new FakeClock();
  const { fake, backend, logger } = await setup(t, { clock });
  await backend.connect();
  fake.rateLimitNext('chat.postMessage', 2, 30);
  await backend.send('slack:#ops', relayMessage('ops 1'));
  await backend.send('slack:#ops', relayMessage('ops 2'));
  await backend.send('slack:C0ALERTS', relayMessage('alerts 1'));
  await backend.send('slack:#ops', relayMessage('ops 3'));

  const rateLimited = () => fake.calls.filter((call) => call.status === 429).length;
  await fake.waitFor(() => logged(logger, /chat.postMessage failed, retrying .*error="rate limited \(Retry-After 30 s\)" attempt=1/), 'the first 429');
  t.equal(rateLimited(), 1);
  clock.advance(29_999);
  await sleep(QUIET_MS);
  t.equal(fake.callsOf('chat.postMessage').length, 1, 'no post, to any channel, before Retry-After has passed');
  clock.advance(1);
  await fake.waitFor(() => rateLimited() === 2, 'the second 429');
  clock.advance(30_000);
  await fake.waitFor(() => fake.posted.length === 3, 'the held posts');
  t.same(
    fake.posted.map((post) => post.text),
    ['ops 1', 'alerts 1', 'ops 2'].map((text) => `CRITICAL web01!http: ${text}`),
    'the held message first, then round-robin over the channels',
  );
  clock.advance(1000);
  await fake.waitFor(() => fake.posted.length === 4, 'the last post, a second later');
  t.same(textsIn(fake, 'C0OPS'), ['ops 1', 'ops 2', 'ops 3']);
  t.same(textsIn(fake, 'C0ALERTS'), ['alerts 1']);
});

t.test('Socket Mode: people are heard and every envelope is acked; bots are not heard; reconnects', async (t) => {
  const { fake, backend, received } = await setup(t);
  await backend.connect();
  t.equal(fake.connections, 1);

  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', text: 'ack web01!http &amp;&amp; &lt;now&gt;' });
  fake.sendMessageEvent({ channel: 'D0ALICE', user: 'U0ALICE', text: 'status', channel_type: 'im' });
  fake.sendMessageEvent({ channel: 'C0ELSEWHERE', user: 'U0BOB', text: 'hello' });
  fake.sendMessageEvent({ channel: 'C0OPS', subtype: 'bot_message', bot_id: 'B0NAGIOS', text: 'PROBLEM web01' });
  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0OTHERBOT', bot_id: 'B0OTHER', text: 'ack everything' });
  fake.sendMessageEvent({ channel: 'C0OPS', user: FAKE_BOT_USER_ID, text: 'the relay itself' });
  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', subtype: 'message_changed', text: 'edited' });
  fake.sendEvent({ type: 'reaction_added', user: 'U0ALICE', reaction: 'eyes', item: { type: 'message', channel: 'C0OPS', ts: '1.2' } });
  fake.sendSlashCommand('/icinga', 'status', 'U0ALICE', 'C0OPS');
  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0CAROL', text: 'once' }, { eventId: 'Ev0REPEATED' });
  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0CAROL', text: 'once' }, { eventId: 'Ev0REPEATED', retryAttempt: 1 });
  // Written an hour before this connection (a redelivery after a reconnect): history, not a command.
  fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', text: 'ack web01!http from an hour ago', ts: `${Math.floor(Date.now() / 1000) - 3600}.000001` });
  await backend.send('slack:#ops', relayMessage('an alert, echoed back by Slack'));
  await fake.waitFor(() => fake.envelopes.length === 13 && fake.unacked().length === 0, 'every envelope acked');
  t.same(fake.acks[0].payload, {}, 'an ack is the envelope_id with an empty payload');

  t.same(received, [
    { destination: 'slack:#ops', text: 'ack web01!http && <now>', direct: false, sender: { identity: 'slack:U0ALICE', displayName: 'U0ALICE' } },
    { destination: 'slack:D0ALICE', text: 'status', direct: true, sender: { identity: 'slack:U0ALICE', displayName: 'U0ALICE' } },
    { destination: 'slack:C0ELSEWHERE', text: 'hello', direct: false, sender: { identity: 'slack:U0BOB', displayName: 'U0BOB' } },
    { destination: 'slack:#ops', text: 'once', direct: false, sender: { identity: 'slack:U0CAROL', displayName: 'U0CAROL' } },
  ]);
  await backend.send(received[1].destination, relayMessage('a reply where it was asked'));
  await fake.waitFor(() => textsIn(fake, 'D0ALICE').length === 1 && fake.unacked().length === 0, 'the reply in the direct message');
  t.equal(received.length, 4, "the reply's echo is not heard");

  fake.requestRefresh();
  await fake.waitFor(() => fake.connections === 2 && fake.openSockets === 1, 'a new connection after the disconnect message');
  t.equal(fake.callsOf('apps.connections.open').length, 2, 'through a new apps.connections.open');
  fake.sendMessageEvent({ channel: 'C0ALERTS', user: 'U0ALICE', text: 'after the refresh' });
  // Cut only after the ack arrived: an ack lost with its socket is Slack's cue to redeliver.
  await fake.waitFor(() => received.length === 5 && fake.unacked().length === 0, 'the message after the refresh, acked');

  fake.dropSockets();
  await fake.waitFor(() => fake.connections === 3, 'a new connection after the socket was cut');
  fake.sendMessageEvent({ channel: 'C0ALERTS', user: 'U0ALICE', text: 'after the cut' });
  await fake.waitFor(() => received.length === 6 && fake.unacked().length === 0, 'the message after the cut, acked');
  t.same(
    received.slice(4).map((message) => [message.destination, message.text]),
    [
      ['slack:C0ALERTS', 'after the refresh'],
      ['slack:C0ALERTS', 'after the cut'],
    ],
  );
  t.equal(backend.counters.reconnects, 2, 'the refresh and the cut, counted for /metrics');
});

t.test('a failed websocket handshake is retried with a new URL', async (t) => {
  const { fake, backend, logger } = await setup(t);
  fake.refuseNextSockets(1);
  await backend.connect();
  await fake.waitFor(() => fake.connections === 1, 'the second attempt to connect');
  t.equal(fake.callsOf('apps.connections.open').length, 2);
  t.ok(logged(logger, /WARN Slack Socket Mode connection failed, retrying .*reason="the websocket closed"/));
});

t.test('redelivered events are recognised among the last 1000', async (t) => {
  const { fake, backend, received } = await setup(t);
  await backend.connect();
  const say = (text: string, eventId: string, retryAttempt = 0) => fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', text }, { eventId, retryAttempt });
  say('first', 'Ev0FIRST');
  for (let n = 1; n <= 1000; n++) say(`message ${n}`, `Ev${n}`);
  say('message 1000', 'Ev1000', 1);
  say('first', 'Ev0FIRST', 1);
  await fake.waitFor(() => fake.envelopes.length === 1003 && fake.unacked().length === 0, 'every envelope acked');
  t.equal(received.length, 1002, 'the recent redelivery is recognised, the old one is not');
  t.same(received.at(-1)?.text, 'first');
});

t.test('close() leaves no connection open, even when it comes in the middle of connecting', async (t) => {
  const { fake, backend } = await setup(t);
  let closing: Promise<void> | undefined;
  fake.onCall = (call) => {
    if (call.method === 'apps.connections.open') closing = backend.close();
  };
  await backend.connect();
  await closing;
  await fake.waitFor(() => fake.openSockets === 0, 'the socket to close');
  t.equal(fake.connections, 1, 'the connection that was being opened got its hello');

  const early = await setup(t);
  const connecting = early.backend.connect();
  await early.backend.close();
  await connecting;
  t.equal(early.fake.callsOf('apps.connections.open').length, 0, 'closed before Socket Mode was started: it is not');
});

t.test('close() does not hang on a connection that stopped answering', async (t) => {
  const { fake, backend, logger } = await setup(t);
  await backend.connect();
  fake.freezeSockets();
  await backend.close();
  t.ok(logged(logger, /WARN Slack did not finish closing the Socket Mode connection in time/));
});

t.test('a Web API outage: messages wait and then all arrive, in order; Socket Mode comes back', async (t) => {
  t.test('while running', async (t) => {
    const clock = new FakeClock();
    const { fake, backend, logger, received } = await setup(t, { clock, config: { channels: ['#ops'], retries: 1 } });
    await backend.connect();
    await backend.send('slack:#ops', relayMessage('before'));
    // Its echo's ack too: an ack cut off with the socket is Slack's cue to redeliver.
    await fake.waitFor(() => fake.posted.length === 1 && fake.unacked().length === 0, 'the first post, its echo acked');
    t.equal(backend.connected, true, 'Web API ready and Socket Mode up');

    await fake.stop();
    for (const text of ['during 1', 'during 2', 'during 3']) await backend.send('slack:#ops', relayMessage(text));
    await driveUntil(clock, () => logged(logger, /sending failed, will retry .*destination=slack:#ops/), 'the retries to run out');
    t.equal(backend.connected, false, 'Socket Mode is down');
    t.ok(backend.queueDepth >= 1, 'messages wait in the queue');
    t.ok(logged(logger, /WARN chat.postMessage failed, retrying .*destination=slack:#ops .*attempt=1/), 'the post was retried first');
    t.ok(logged(logger, /INFO Slack Socket Mode connection ended, reconnecting .*reason="the websocket closed"/));
    t.ok(logged(logger, /WARN Slack Socket Mode connection failed, retrying .*reason="A request error occurred: fetch failed"/));

    await fake.start();
    await driveUntil(clock, () => fake.posted.length === 4 && fake.connections === 2, 'the queue to drain and Socket Mode to reconnect');
    t.same(textsIn(fake, 'C0OPS'), ['before', 'during 1', 'during 2', 'during 3']);
    fake.sendMessageEvent({ channel: 'C0OPS', user: 'U0ALICE', text: 'back' });
    await fake.waitFor(() => received.length === 1 && fake.unacked().length === 0, 'the message after the outage');
    t.equal(backend.connected, true, 'up again');
    t.equal(backend.queueDepth, 0);
  });

  t.test('from the start', async (t) => {
    const clock = new FakeClock();
    const { fake, backend, logger } = await setup(t, { clock });
    await fake.stop();
    await backend.connect();
    t.ok(logged(logger, /WARN Slack Web API not available, messages wait in the queue .*error="A request error occurred: fetch failed"/), 'connect() returns and says why');
    await backend.send('slack:#ops', relayMessage('queued'));
    await fake.start();
    await driveUntil(clock, () => fake.posted.length === 1, 'the queued post');
    t.same(textsIn(fake, 'C0OPS'), ['queued']);
    t.equal(fake.callsOf('auth.test').length, 1, 'auth.test succeeded once, when the fake came back');
  });

  t.test('a bot token refused once Slack is back is the end of it', async (t) => {
    const clock = new FakeClock();
    const { fake, backend, logger } = await setup(t, { clock, config: { botToken: 'xoxb-revoked' } });
    await fake.stop();
    await backend.connect();
    await fake.start();
    await driveUntil(clock, () => logged(logger, /ERROR Slack backend gave up .*error="Slack refused the bot token: invalid_auth; check chat\.slack\.bot_token \(or bot_token_file\)"/), 'giving up');
    clock.advance(120_000);
    await sleep(QUIET_MS);
    t.equal(fake.callsOf('auth.test').length, 1, 'not tried again');
  });

  t.test('a 429 while resolving names is waited out', async (t) => {
    const clock = new FakeClock();
    const { fake, backend, logger } = await setup(t, { clock });
    fake.rateLimitNext('conversations.list', 1, 10);
    await backend.connect();
    t.ok(logged(logger, /WARN Slack Web API not available, messages wait in the queue .*error="rate limited \(Retry-After 10 s\)" retryInMs=10000/));
    await backend.send('slack:#ops', relayMessage('after the wait'));
    clock.advance(9_999);
    await sleep(QUIET_MS);
    t.equal(fake.callsOf('conversations.list').length, 1, 'not asked again before Retry-After has passed');
    t.equal(fake.posted.length, 0);
    clock.advance(1);
    await fake.waitFor(() => fake.posted.length === 1, 'the post');
    t.same(textsIn(fake, 'C0OPS'), ['after the wait']);
  });
});

t.test('close() stops every retry', async (t) => {
  t.test('while Slack is unreachable', async (t) => {
    const clock = new FakeClock();
    const { fake, backend } = await setup(t, { clock });
    await fake.stop();
    await backend.connect();
    await backend.send('slack:#ops', relayMessage('never'));
    await backend.close();
    await fake.start();
    clock.advance(120_000);
    await sleep(QUIET_MS);
    t.same(fake.calls, [], 'no call after close()');
  });

  t.test('while a post is under way', async (t) => {
    const clock = new FakeClock();
    const { fake, backend } = await setup(t, { clock });
    await backend.connect();
    let closing: Promise<void> | undefined;
    fake.onCall = (call) => {
      if (call.method === 'chat.postMessage') closing = backend.close();
    };
    fake.rateLimitNext('chat.postMessage', 1, 5);
    await backend.send('slack:#ops', relayMessage('cut short'));
    await fake.waitFor(() => closing !== undefined, 'the post');
    await closing;
    clock.advance(60_000);
    await sleep(QUIET_MS);
    t.equal(fake.callsOf('chat.postMessage').length, 1, 'the rate-limited post is not tried again');
  });
});
