/**
 * SIGTERM's flush: Outbox.flush() ends when the queues are empty or at its deadline (on the
 * injected clock), and Relay.stop({ flushMs }) stops the stream, lets each backend drain what
 * was queued just before, then closes it; what is left at the deadline is logged.
 */
import t from 'tap';
import type { ChatBackend } from '../src/chat/backend.js';
import { Outbox } from '../src/chat/outbox.js';
import { parseConfig } from '../src/config/index.js';
import { memoryLogger, type Logger } from '../src/log.js';
import type { RelayMessage } from '../src/message.js';
import { Relay } from '../src/relay.js';
import { FakeBackend } from './helpers/fake-backend.js';
import { FakeClock } from './helpers/fake-clock.js';

const message = (text: string): RelayMessage => ({ eventType: 'StateChange', severity: 'critical', text, timestamp: 0, fields: {} });
const settle = () => new Promise((resolve) => setImmediate(resolve));

function outboxOn(clock: FakeClock, logger: Logger, sent: string[]) {
  return new Outbox({
    capacity: 100,
    rateLimit: { burst: 1, perSecond: 1 },
    bucketKey: () => 'connection',
    transmit: async (_destination, m) => {
      sent.push(m.text);
    },
    clock,
    logger,
  });
}

t.test('flush resolves at once with 0 when nothing is queued', async (t) => {
  const clock = new FakeClock();
  const outbox = outboxOn(clock, memoryLogger(), []);
  t.equal(await outbox.flush(5000), 0);
  t.same(clock.pendingDelays(), [], 'no deadline timer left behind');
});

t.test('flush resolves with 0 as soon as the rate-limited queue has drained, before the deadline', async (t) => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const outbox = outboxOn(clock, memoryLogger(), sent);
  outbox.setReady(true);
  for (const text of ['a', 'b', 'c']) outbox.enqueue('irc:#ops', message(text));
  await settle();
  let result: number | undefined;
  void outbox.flush(5000).then((unsent) => (result = unsent));
  await settle();
  t.equal(result, undefined, 'still waiting: two messages wait for tokens');
  clock.advance(1000);
  await settle();
  t.equal(result, undefined);
  clock.advance(1000);
  await settle();
  t.equal(result, 0, 'resolved when the last one went, 2 s in, not at the 5 s deadline');
  t.same(sent, ['a', 'b', 'c']);
  t.same(clock.pendingDelays(), [], 'the deadline timer is cleared');
});

t.test('flush gives up at the deadline, logs and returns how many were left', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const outbox = outboxOn(clock, logger, []);
  // Never ready: the connection is down at shutdown.
  for (const text of ['a', 'b']) outbox.enqueue('irc:#ops', message(text));
  let result: number | undefined;
  void outbox.flush(5000).then((unsent) => (result = unsent));
  clock.advance(4999);
  await settle();
  t.equal(result, undefined);
  clock.advance(1);
  await settle();
  t.equal(result, 2);
  t.match(logger.lines.join('\n'), /messages left unsent at the flush deadline unsent=2 deadlineMs=5000/);
});

t.test('close() ends a pending flush', async (t) => {
  const clock = new FakeClock();
  const outbox = outboxOn(clock, memoryLogger(), []);
  outbox.enqueue('irc:#ops', message('a'));
  const flushed = outbox.flush(5000);
  outbox.close();
  t.equal(await flushed, 1);
  t.equal(await outbox.flush(5000), 1, 'a closed outbox does not wait');
});

function relayWith(backends: ChatBackend[], clock: FakeClock, logger: Logger) {
  const { config } = parseConfig('icinga:\n  url: https://127.0.0.1:1\n  username: u\n  password: p\n', { env: {} });
  return new Relay(config, { logger, clock, random: () => 0.5, backends });
}

/** Runs stop() while moving the fake clock on in 500 ms steps; returns the fake time it took. */
async function stopAdvancing(relay: Relay, clock: FakeClock, flushMs: number): Promise<number> {
  const started = clock.now();
  let done = false;
  const stopped = relay.stop({ flushMs }).then(() => (done = true));
  for (let i = 0; i < 40 && !done; i++) {
    await settle();
    if (!done) clock.advance(500);
  }
  await stopped;
  return clock.now() - started;
}

t.test('stop({ flushMs }) delivers what was queued just before SIGTERM, then closes', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const irc = new FakeBackend('irc', ['irc:#ops'], { queue: { clock, logger, ready: true } });
  const relay = relayWith([irc], clock, logger);
  for (const text of ['one', 'two', 'three']) await irc.send('irc:#ops', message(text));
  await settle();
  t.same(irc.texts(), ['one'], 'only the first went; two wait for tokens');
  const took = await stopAdvancing(relay, clock, 5000);
  t.same(irc.events, ['sent one', 'sent two', 'sent three', 'close'], 'everything went out before the goodbye');
  t.ok(took < 5000, `done before the deadline (${took} ms)`);
  t.notMatch(logger.lines.join('\n'), /unsent/);
});

t.test('stop({ flushMs }) gives up at the deadline and logs what was left per backend', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const down = new FakeBackend('irc', ['irc:#ops'], { queue: { clock, logger, ready: false } });
  const relay = relayWith([down], clock, logger);
  for (const text of ['one', 'two']) await down.send('irc:#ops', message(text));
  const took = await stopAdvancing(relay, clock, 5000);
  t.same(down.events, ['close'], 'closed without sending: the connection never came back');
  t.ok(took >= 5000 && took < 6000, `waited for the deadline (${took} ms)`);
  t.match(logger.lines.join('\n'), /stopping with messages unsent backend=irc unsent=2 flushMs=5000/);
});

t.test('stop() without flushMs closes at once, and leaves the kept backends open', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const gone = new FakeBackend('irc', ['irc:#ops'], { queue: { clock, logger, ready: false } });
  const kept = new FakeBackend('xmpp', ['irc:#ops'], { queue: { clock, logger, ready: true } });
  const relay = relayWith([gone, kept], clock, logger);
  await gone.send('irc:#ops', message('lost'));
  await relay.stop({ keep: [kept] });
  t.same(gone.events, ['close']);
  t.same(kept.events, [], 'not closed: it carries over to the next relay');
});

t.test('stop({ flushMs }) first lets out what noise control held back, so it reaches the room before the goodbye', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const irc = new FakeBackend('irc', ['irc:#ops'], { queue: { clock, logger, ready: true } });
  const relay = relayWith([irc], clock, logger);
  const down = (host: string): RelayMessage => ({ ...message(`DOWN ${host}`), eventType: 'StateChange', host, state: 'DOWN', stateType: 'HARD', fields: { object: host } });
  for (const host of ['a', 'b', 'c', 'd']) relay.noise.submit('irc:#ops', down(host));
  await settle();
  t.same(irc.texts(), ['#1 DOWN a'], 'the rest wait in the storm window');
  await stopAdvancing(relay, clock, 5000);
  t.same(irc.events, ['sent #1 DOWN a', 'sent 3 hosts DOWN: b, c, d (#2 #3 #4)', 'close']);
  t.notMatch(logger.lines.join('\n'), /not sent/);
});

t.test('stop() without flushMs only logs what noise control held back', async (t) => {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const irc = new FakeBackend('irc', ['irc:#ops'], { queue: { clock, logger, ready: true } });
  const relay = relayWith([irc], clock, logger);
  relay.noise.submit('irc:#ops', message('first'));
  relay.noise.submit('irc:#ops', message('second'));
  await relay.stop();
  t.same(irc.events, ['sent first', 'close']);
  t.match(logger.lines.join('\n'), /stopped with events not sent component=noise destination=irc:#ops count=1/);
});
