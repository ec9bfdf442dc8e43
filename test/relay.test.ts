import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/index.js';
import type { ChatBackend } from '../src/chat/backend.js';
import type { IcingaEvent } from '../src/icinga/event-types.js';
import { memoryLogger } from '../src/log.js';
import { Relay, START_WAIT_MS } from '../src/relay.js';
import { renderIrcLines } from '../src/chat/irc/render.js';
import { renderSlackMessage } from '../src/chat/slack/render.js';
import { FakeBackend } from './helpers/fake-backend.js';
import { FakeClock } from './helpers/fake-clock.js';

const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as IcingaEvent;

function relayWith(backends: ChatBackend[], extraYaml = '') {
  const logger = memoryLogger();
  const { config } = parseConfig(
    `icinga:\n  url: [https://127.0.0.1:1, https://127.0.0.1:2]\n  username: u\n  password: p\n  reconnect: { min: 10s, max: 10s }\n${extraYaml}`,
    { env: {} },
  );
  const clock = new FakeClock();
  return { relay: new Relay(config, { logger, clock, random: () => 0.5, backends }), logger, clock };
}

t.test('every relayed event reaches every destination of every backend; SOFT ones do not', async (t) => {
  const irc = new FakeBackend('irc', ['irc:#ops', 'irc:#noc']);
  const slack = new FakeBackend('slack', ['slack:#ops']);
  const { relay } = relayWith([irc, slack]);
  relay.handleEvent(fixture('StateChange-service-critical'));
  relay.handleEvent(fixture('StateChange-service-soft'));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(irc.sent.map((s) => s.destination), ['irc:#ops', 'irc:#noc']);
  t.same(slack.sent.map((s) => s.destination), ['slack:#ops']);
  t.match(slack.sent[0].message, { eventType: 'StateChange', host: 'web01', service: 'http', state: 'CRITICAL' });
});

t.test('failures are logged and stop nothing', async (t) => {
  const broken = new FakeBackend('irc', ['irc:#ops'], { failConnect: true, failSend: true });
  const healthy = new FakeBackend('slack', ['slack:#ops']);
  const { relay, logger } = relayWith([broken, healthy]);
  await relay.start();
  t.match(logger.lines.join('\n'), /chat backend failed to connect backend=irc error="server unreachable"/);
  // Several URLs are an HA pair: the stream fails over between them (test/icinga/failover.test.ts).
  t.notMatch(logger.lines.join('\n'), /uses only the first/);
  relay.handleEvent(fixture('DowntimeAdded-host-fixed'));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(healthy.sent.length, 1, 'the healthy backend still gets the event');
  t.match(logger.lines.join('\n'), /delivery failed destination=irc:#ops eventType=DowntimeAdded error="write after end"/);
  await relay.stop();
  t.match(logger.lines.join('\n'), /chat backend did not close cleanly backend=irc/);
});

t.test('a chat backend that never finishes connecting does not keep the relay from reading events', async (t) => {
  const hanging = new FakeBackend('slack', ['slack:#ops']);
  hanging.connect = () => new Promise<void>(() => {});
  const quick = new FakeBackend('irc', ['irc:#ops']);
  const logger = memoryLogger();
  const clock = new FakeClock();
  const { config } = parseConfig('icinga:\n  url: https://127.0.0.1:1\n  username: u\n  password: p\n', { env: {} });
  const relay = new Relay(config, { logger, clock, random: () => 0.5, backends: [hanging, quick] });
  t.teardown(() => relay.stop());
  let started = false;
  const starting = relay.start().then(() => (started = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(started, 'it waits a while for the backends');
  clock.advance(START_WAIT_MS);
  await starting;
  t.match(logger.lines.join('\n'), new RegExp(`chat backends still connecting; reading events meanwhile backends=slack waitedMs=${START_WAIT_MS}`));
  t.throws(() => relay.stream.start(), /already started/, 'the event stream was started');
});

t.test('a formatter failure is logged and the generic line goes out', async (t) => {
  const console = new FakeBackend('console', ['console']);
  const { relay, logger } = relayWith([console]);
  // A getter that throws: the kind of surprise a formatter cannot anticipate.
  const event = { type: 'StateChange', host: 'web01', service: 'http', state: 2, state_type: 1, timestamp: 1 } as IcingaEvent;
  Object.defineProperty(event, 'check_result', { enumerable: true, get: () => { throw new Error('boom'); } });
  relay.handleEvent(event);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(console.sent.length, 1);
  t.match(logger.lines.join('\n'), /formatter failed, relayed the generic line instead eventType=StateChange error=boom/);
});

t.test('events: a destination shows only the event types it chose; relay notices still come', async (t) => {
  const irc = new FakeBackend('irc', ['irc:#ops', 'irc:#noc']);
  const { relay, clock } = relayWith([irc], 'access:\n  users:\n    "irc:alice": [operator]\n');
  const say = (text: string) => relay.handleMessage(irc, { destination: 'irc:#ops', text, direct: false, sender: { identity: 'irc:alice', displayName: 'alice' } });
  await say('!events notification');
  relay.handleEvent(fixture('StateChange-service-critical'));
  relay.handleEvent(fixture('Notification-host-problem'));
  // Past #noc's storm window, where the notification waits behind the state change.
  clock.advance(5_000);
  await new Promise((resolve) => setImmediate(resolve));
  const texts = (destination: string) => irc.sent.filter((sent) => sent.destination === destination).map((sent) => `${sent.message.eventType}: ${sent.message.text}`);
  t.match(texts('irc:#ops'), [/^Reply: shown here from now on: Notification$/, /^Notification: /]);
  t.equal(texts('irc:#ops').length, 2, 'no StateChange in #ops');
  t.match(texts('irc:#noc'), [/^StateChange: /, /^Notification: /], 'other destinations are untouched');
});

t.test('mention: the first message of a problem calls the route\'s people, each backend its own way; updates and recoveries never', async (t) => {
  const out = new FakeBackend('console', ['console']);
  const { relay, clock } = relayWith([out], 'routes:\n  - match: { host: web01 }\n    to: [console]\n    mention: [alice, U0ALICE, "<!subteam^S0ONCALL>"]\n');
  relay.handleEvent(fixture('StateChange-service-critical'));
  clock.advance(5_000);
  relay.handleEvent(fixture('AcknowledgementSet-service-sticky'));
  clock.advance(5_000);
  relay.handleEvent(fixture('StateChange-service-recovery'));
  clock.advance(5_000);
  await new Promise((resolve) => setImmediate(resolve));
  const [first, ack, recovery] = out.sent.map((sent) => sent.message);
  t.same([first.mentions, ack.mentions, recovery.mentions], [['alice', 'U0ALICE', '<!subteam^S0ONCALL>'], undefined, undefined]);
  t.match(renderIrcLines(first, { colours: false, maxBytes: 400 })[0], /^alice: #1 CRITICAL web01!http/, 'an IRC (or XMPP) highlight of the nicks');
  t.match(renderSlackMessage(first).text, /^<@U0ALICE> <!subteam\^S0ONCALL> #1 CRITICAL web01!http/, 'real Slack mentions of the IDs');
  t.notMatch(renderSlackMessage(recovery).text, /<@/, 'the recovery calls nobody');
  t.notMatch(renderIrcLines(recovery, { colours: false, maxBytes: 400 })[0], /alice/);
});
