import t from 'tap';
import { readFileSync } from 'node:fs';
import { formatEvent } from '../../formatters/index.js';
import { LATE_AFTER_MS, Outbox, droppedNotice, sentLate } from '../../src/chat/outbox.js';
import { TokenBucket } from '../../src/util/token-bucket.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { FakeClock } from '../helpers/fake-clock.js';

const message = (text: string): RelayMessage => ({ eventType: 'StateChange', severity: 'critical', text, timestamp: 0, fields: {} });
const reply = (text: string): RelayMessage => ({ eventType: 'Reply', severity: 'info', text, timestamp: 0, fields: {} });

function setup(options: { capacity?: number; burst?: number; perSecond?: number; perDestination?: boolean; fail?: () => boolean } = {}) {
  const clock = new FakeClock();
  const sent: { destination: string; text: string; at: number }[] = [];
  const outbox = new Outbox({
    capacity: options.capacity ?? 100,
    rateLimit: { burst: options.burst ?? 2, perSecond: options.perSecond ?? 1 },
    bucketKey: (destination) => (options.perDestination ? destination : 'connection'),
    transmit: async (destination, m) => {
      if (options.fail?.()) throw new Error('socket closed');
      sent.push({ destination, text: m.text, at: clock.now() });
    },
    clock,
    logger: memoryLogger(),
    retryMs: 500,
  });
  return { clock, sent, outbox };
}

// The transmit promise resolves in a microtask; let the drain loop run.
const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('holds messages until ready, then sends them in order through the bucket', async (t) => {
  const { clock, sent, outbox } = setup();
  for (const text of ['a', 'b', 'c', 'd']) outbox.enqueue('irc:#ops', message(text));
  await settle();
  t.same(sent, [], 'nothing leaves before the connection is ready');
  t.equal(outbox.depth, 4);
  outbox.setReady(true);
  await settle();
  t.same(sent.map((s) => s.text), ['a', 'b'], 'the burst goes at once');
  clock.advance(1000);
  await settle();
  clock.advance(1000);
  await settle();
  t.same(sent.map((s) => s.text), ['a', 'b', 'c', 'd'], 'then one per second, in order');
  t.same(sent.map((s) => s.at - sent[0].at), [0, 0, 1000, 2000]);
  t.equal(outbox.depth, 0);
  outbox.close();
});

t.test('a full queue drops the oldest and says so once, before the rest', async (t) => {
  const { clock, sent, outbox } = setup({ capacity: 3, burst: 10 });
  const firstDrop = clock.now();
  for (const text of ['1', '2', '3', '4', '5']) {
    outbox.enqueue('irc:#ops', message(text));
    clock.advance(1000);
  }
  t.equal(outbox.depth, 4, 'three messages and one notice wait');
  t.equal(outbox.droppedTotal, 2, 'counted for /metrics');
  outbox.setReady(true);
  await settle();
  await settle();
  const expectedNotice = droppedNotice(2, firstDrop + 3000, 3, true).text;
  t.same(sent.map((s) => s.text), [expectedNotice, '3', '4', '5']);
  t.equal(expectedNotice, 'icinga-relay: 2 alerts dropped: queue full (more than 3 waiting for this room since 2026-11-23 12:00:03Z: the chat connection was down)');
  outbox.close();
});

t.test('a failed send keeps the message and retries it first', async (t) => {
  let failures = 1;
  const { clock, sent, outbox } = setup({ burst: 10, fail: () => failures-- > 0 });
  outbox.setReady(true);
  outbox.enqueue('irc:#ops', message('first'));
  outbox.enqueue('irc:#ops', message('second'));
  await settle();
  t.same(sent, [], 'the first send failed');
  t.same(clock.pendingDelays(), [500], 'a retry is scheduled');
  clock.advance(500);
  await settle();
  await settle();
  t.same(sent.map((s) => s.text), ['first', 'second']);
  outbox.close();
});

t.test('per-destination buckets let one busy channel not hold up another', async (t) => {
  const { sent, outbox } = setup({ burst: 1, perDestination: true });
  outbox.setReady(true);
  outbox.enqueue('slack:#a', message('a1'));
  outbox.enqueue('slack:#a', message('a2'));
  outbox.enqueue('slack:#b', message('b1'));
  await settle();
  await settle();
  t.same(sent.map((s) => s.text).sort(), ['a1', 'b1']);
  outbox.setReady(false);
  outbox.close();
  outbox.enqueue('slack:#a', message('after close'));
  t.equal(outbox.depth, 1, 'a closed outbox takes nothing more');
});

t.test('token bucket refills at its rate and rejects nonsense limits', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ burst: 1, perSecond: 4 }, clock);
  t.same(bucket.take(), { ok: true });
  t.same(bucket.take(), { ok: false, waitMs: 250 });
  clock.advance(250);
  t.same(bucket.take(), { ok: true });
  t.throws(() => new TokenBucket({ burst: 0, perSecond: 1 }, clock), /burst >= 1/);
  t.throws(() => new TokenBucket({ burst: 1, perSecond: 0 }, clock), /perSecond > 0/);
});

/** An outbox whose sends stay on their way until the test settles them (the latest send of a text), as lines wait for the echo. */
function windowSetup(options: { maxInFlight: number; burst?: number; maxBytes?: number }) {
  const clock = new FakeClock();
  const started: { destination: string; text: string; settle: (error?: Error) => void }[] = [];
  const outbox = new Outbox({
    capacity: 100,
    rateLimit: { burst: options.burst ?? 100, perSecond: 1 },
    bucketKey: () => 'connection',
    transmit: (destination, m) =>
      new Promise<void>((resolve, reject) => started.push({ destination, text: m.text, settle: (error) => (error ? reject(error) : resolve()) })),
    clock,
    logger: memoryLogger(),
    retryMs: 500,
    maxInFlight: options.maxInFlight,
    ...(options.maxBytes === undefined ? {} : { inFlightBytes: { max: options.maxBytes, of: (_: string, m: RelayMessage) => m.text.length } }),
  });
  const settleSend = async (text: string, error?: Error) => {
    [...started].reverse().find((send) => send.text === text)!.settle(error);
    await settle();
  };
  return { clock, outbox, started, texts: () => started.map((send) => send.text), settleSend };
}

t.test('up to maxInFlight destinations have a message on its way at once; each destination one at a time, in order', async (t) => {
  const { outbox, texts, settleSend } = windowSetup({ maxInFlight: 2 });
  for (const text of ['a1', 'a2', 'b1', 'b2', 'c1']) outbox.enqueue(`irc:#${text[0]}`, message(text));
  outbox.setReady(true);
  await settle();
  t.same(texts(), ['a1', 'b1'], 'two destinations at once, the window full');
  await settleSend('a1');
  t.same(texts(), ['a1', 'b1', 'c1'], 'a sent message frees a place for the destination served longest ago');
  await settleSend('c1');
  t.same(texts(), ['a1', 'b1', 'c1', 'a2'], "#a's next message once its first is sent");
  await settleSend('b1');
  t.same(texts(), ['a1', 'b1', 'c1', 'a2', 'b2']);
  await settleSend('a2');
  await settleSend('b2');
  t.equal(outbox.depth, 0);
  t.equal(await outbox.flush(1_000), 0, 'nothing on its way either');
  outbox.close();
});

t.test('the messages on their way weigh at most inFlightBytes together; one over it goes alone; the next in turn is not overtaken', async (t) => {
  const { outbox, texts, settleSend } = windowSetup({ maxInFlight: 10, maxBytes: 10 });
  for (const text of ['a 4.', 'b 4.', 'c 4.', 'd2']) outbox.enqueue(`irc:#${text[0]}`, message(text));
  outbox.setReady(true);
  await settle();
  t.same(texts(), ['a 4.', 'b 4.'], '8 bytes on their way: #c would make 12, and #d, lighter, waits its turn behind #c');
  await settleSend('a 4.');
  t.same(texts(), ['a 4.', 'b 4.', 'c 4.', 'd2'], 'room for both once #a is sent');
  outbox.enqueue('irc:#e', message('e heavier than the limit'));
  await settleSend('b 4.');
  await settleSend('c 4.');
  t.same(texts().slice(4), [], 'the heavy one waits while #d is on its way');
  await settleSend('d2');
  t.same(texts().slice(4), ['e heavier than the limit'], 'then goes alone');
  outbox.enqueue('irc:#f', message('f1'));
  await settle();
  t.same(texts().slice(5), [], 'nothing goes with it');
  await settleSend('e heavier than the limit');
  t.same(texts().slice(5), ['f1']);
  await settleSend('f1');
  t.equal(await outbox.flush(1_000), 0);
  outbox.close();
});

t.test('the token bucket still paces the starts when the window has room', async (t) => {
  const { clock, outbox, texts } = windowSetup({ maxInFlight: 8, burst: 2 });
  for (const text of ['a1', 'b1', 'c1']) outbox.enqueue(`irc:#${text[0]}`, message(text));
  outbox.setReady(true);
  await settle();
  t.same(texts(), ['a1', 'b1'], 'the burst');
  clock.advance(1000);
  await settle();
  t.same(texts(), ['a1', 'b1', 'c1'], 'then one per second');
  outbox.close();
});

t.test('sends that fail while others are on their way each go back to the head of their queue, with one retry', async (t) => {
  const { clock, outbox, texts, settleSend } = windowSetup({ maxInFlight: 3 });
  for (const text of ['a1', 'a2', 'b1', 'c1']) outbox.enqueue(`irc:#${text[0]}`, message(text));
  outbox.setReady(true);
  await settle();
  t.same(texts(), ['a1', 'b1', 'c1']);
  await settleSend('b1');
  const lost = new Error('the connection closed');
  await settleSend('a1', lost);
  await settleSend('c1', lost);
  t.same(clock.pendingDelays(), [500], 'one retry for both');
  t.equal(outbox.depth, 3, 'a1, a2 and c1 wait; b1 was sent');
  clock.advance(500);
  await settle();
  t.same(texts().slice(3), ['a1', 'c1'], 'each first in its queue again');
  await settleSend('a1');
  t.same(texts().slice(5), ['a2']);
  outbox.close();
});

t.test("a destination that first gets a message while another's send is on its way goes before that one's next", async (t) => {
  const { outbox, texts, settleSend } = windowSetup({ maxInFlight: 1 });
  outbox.setReady(true);
  outbox.enqueue('slack:#ops', message('ops 1'));
  outbox.enqueue('slack:#ops', message('ops 2'));
  outbox.enqueue('slack:#alerts', message('alerts 1'));
  await settle();
  t.same(texts(), ['ops 1']);
  await settleSend('ops 1');
  t.same(texts(), ['ops 1', 'alerts 1'], 'never served comes before served a moment ago');
  await settleSend('alerts 1');
  t.same(texts(), ['ops 1', 'alerts 1', 'ops 2']);
  outbox.close();
});

t.test('alerts go before replies: a reply flood holds an alert back by at most one send slot', async (t) => {
  const { clock, sent, outbox } = setup({ burst: 1, perSecond: 1 });
  outbox.setReady(true);
  for (let index = 0; index < 8; index++) outbox.enqueue(`irc:peer${index}`, reply(`reply ${index}`));
  for (let index = 0; index < 8; index++) outbox.enqueue('irc:#ops', reply(`channel reply ${index}`));
  await settle();
  t.same(sent.map((s) => s.text), ['reply 0'], 'the burst went to a reply while no alert waited');
  outbox.enqueue('irc:#ops', message('web01!http CRITICAL'));
  clock.advance(1000);
  await settle();
  t.same(sent.map((s) => s.text), ['reply 0', 'web01!http CRITICAL'], 'the next slot is the alert, ahead of 15 replies and of its own room\'s');
  t.equal(outbox.alertsPending, 0, 'nothing Icinga2 said is waiting');
  clock.advance(1000);
  await settle();
  t.equal(sent[2].text, 'reply 1', 'then the replies, round-robin');
  outbox.close();
});

t.test('an alert whose room has a reply on its way keeps the next token from other replies', async (t) => {
  const { clock, outbox, texts, settleSend } = windowSetup({ maxInFlight: 4, burst: 1 });
  outbox.setReady(true);
  outbox.enqueue('irc:#ops', reply('ops reply'));
  await settle();
  outbox.enqueue('irc:#ops', message('alert'));
  outbox.enqueue('irc:mallory', reply('mallory reply'));
  await settle();
  t.same(texts(), ['ops reply']);
  clock.advance(1000);
  await settle();
  t.same(texts(), ['ops reply'], "the token that came back is kept for the alert, not given to mallory's reply");
  await settleSend('ops reply');
  t.same(texts(), ['ops reply', 'alert'], 'the alert goes as soon as its room is free');
  clock.advance(1000);
  await settle();
  t.same(texts(), ['ops reply', 'alert', 'mallory reply']);
  outbox.close();
});

t.test('replies are bounded per destination and over all; what does not fit is dropped and counted, alerts never', async (t) => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const outbox = new Outbox({
    capacity: 5,
    rateLimit: { burst: 1, perSecond: 1 },
    bucketKey: () => 'connection',
    transmit: async (_destination, m) => {
      sent.push(m.text);
    },
    clock,
    logger: memoryLogger(),
    replyLimits: { perDestination: 2, total: 3 },
  });
  for (let index = 0; index < 4; index++) outbox.enqueue('irc:#ops', reply(`ops ${index}`));
  t.equal(outbox.repliesDroppedTotal, 2, 'two of four: the room keeps two');
  outbox.enqueue('irc:peer1', reply('peer1'));
  outbox.enqueue('irc:peer2', reply('peer2'));
  t.equal(outbox.repliesDroppedTotal, 3, 'three over all');
  t.equal(outbox.destinationsQueued, 2, 'the peer whose reply was dropped leaves nothing behind');
  for (let index = 0; index < 5; index++) outbox.enqueue('irc:#ops', message(`alert ${index}`));
  t.equal(outbox.droppedTotal, 0, 'alerts have their own room');
  t.equal(outbox.alertsPending, 5);
  outbox.setReady(true);
  for (let second = 0; second < 8; second++) {
    await settle();
    clock.advance(1000);
  }
  await settle();
  t.same(sent, ['alert 0', 'alert 1', 'alert 2', 'alert 3', 'alert 4', 'peer1', 'ops 0', 'ops 1'], 'every alert first; then the replies, the peer never served before the room');
  t.equal(outbox.destinationsQueued, 0, 'every drained queue is forgotten');
  outbox.close();
});

t.test('alerts dropped while the connection is up say so: more came than the pace lets out', async (t) => {
  const { sent, outbox, clock } = setup({ capacity: 2, burst: 1, perSecond: 1 });
  outbox.setReady(true);
  for (const text of ['1', '2', '3', '4', '5']) outbox.enqueue('irc:#ops', message(text));
  for (let second = 0; second < 4; second++) {
    await settle();
    clock.advance(1000);
  }
  await settle();
  t.equal(sent[1].text.replace(/since .*Z/, 'since T'), 'icinga-relay: 2 alerts dropped: queue full (more than 2 waiting for this room since T: they came faster than the configured pace lets messages out)');
  t.same(sent.map((s) => s.text).slice(2), ['4', '5']);
  outbox.close();
});

t.test('an alert that waited more than LATE_AFTER_MS says how long it was queued; replies and short waits do not (the alert lane goes first)', async (t) => {
  const { clock, sent, outbox } = setup({ burst: 10 });
  outbox.enqueue('irc:#ops', message('CRITICAL web01!http: refused'));
  clock.advance(LATE_AFTER_MS);
  outbox.enqueue('irc:#ops', message('OK web02!http'));
  outbox.enqueue('irc:#ops', reply('a reply'));
  clock.advance(1);
  outbox.enqueue('irc:#ops', message('WARNING db01!disk'));
  clock.advance(95_000);
  outbox.enqueue('irc:#ops', message('just now'));
  outbox.setReady(true);
  await settle();
  t.same(sent.map((s) => s.text), [
    'queued 2 min 5 s: CRITICAL web01!http: refused',
    'queued 1 min 35 s: OK web02!http',
    'queued 1 min 35 s: WARNING db01!disk',
    'just now',
    'a reply',
  ]);
  outbox.close();
});

t.test('sentLate keeps everything a formatted message carries, text worked out lazily included', async (t) => {
  const formatted = formatEvent(JSON.parse(readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8')), { width: 400 });
  const late = sentLate(formatted, 30_500);
  t.equal(late.text, `queued 31 s: ${formatted.text}`);
  t.same({ ...late, text: formatted.text }, { eventType: formatted.eventType, severity: formatted.severity, host: formatted.host, service: formatted.service, timestamp: formatted.timestamp, state: formatted.state, stateType: formatted.stateType, notificationType: formatted.notificationType, notice: formatted.notice, fields: formatted.fields, text: formatted.text });
});

t.test('a long wait for the pace alone is not marked; one through a disconnect is', async (t) => {
  const { clock, sent, outbox } = setup({ burst: 1, perSecond: 0.01 });
  outbox.setReady(true);
  for (const text of ['a', 'b', 'c']) outbox.enqueue('irc:#ops', message(text));
  await settle();
  clock.advance(100_000);
  await settle();
  t.same(sent.map((s) => s.text), ['a', 'b'], 'b waited 100 s for a token, the connection up all along');
  outbox.setReady(false);
  clock.advance(100_000);
  outbox.setReady(true);
  await settle();
  t.same(sent.map((s) => s.text), ['a', 'b', 'queued 3 min 20 s: c'], 'c also waited through a disconnect');
  outbox.close();
});

t.test('with logSent, each message is logged at info once it has been handed to the server', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger('info');
  let fail = true;
  const outbox = new Outbox({
    capacity: 10,
    rateLimit: { burst: 5, perSecond: 1 },
    bucketKey: () => 'connection',
    transmit: async () => {
      if (fail) throw new Error('socket closed');
    },
    clock,
    logger,
    retryMs: 500,
    logSent: true,
  });
  outbox.setReady(true);
  outbox.enqueue('irc:#ops', message('CRITICAL web01!http'));
  await settle();
  t.notOk(logger.lines.some((line) => / INFO sent /.test(line)), 'not while the send fails');
  fail = false;
  clock.advance(500);
  await settle();
  t.same(logger.lines.filter((line) => / INFO sent /.test(line)).map((line) => line.replace(/^.* INFO /, '')), ['sent destination=irc:#ops eventType=StateChange text="CRITICAL web01!http"']);
  outbox.close();
});
