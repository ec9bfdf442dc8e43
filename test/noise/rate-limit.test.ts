import t from 'tap';
import { noiseWith, stateChange } from '../helpers/noise.js';

const NO_GROUPING = { windowMs: 1000, groupFrom: 1000, names: 5, hostLines: 3 };

t.test('over the rate, messages wait in the queue; overflow becomes one notice whose counts add up', async (t) => {
  const { noise, texts, clock } = noiseWith({ rate: { burst: 2, perSecond: 1 }, queueSize: 3, storm: NO_GROUPING });
  const states = ['CRITICAL', 'WARNING', 'CRITICAL'];
  for (let i = 0; i < 218; i++) noise.submit('irc:#ops', stateChange(`web${i}!http`, states[i % 3]));
  t.same(texts(), ['CRITICAL web0!http'], 'the first at once; the window holds the rest');
  clock.advance(1_000);
  t.same(texts(), ['CRITICAL web0!http', 'WARNING web1!http', 'CRITICAL web2!http'], 'as many as the bucket allows, 3 queued, the rest counted');
  clock.advance(60_000);
  const sent = texts();
  t.same(sent.slice(3), ['CRITICAL web3!http', 'WARNING web4!http', 'CRITICAL web5!http', '... 212 more events suppressed: 141 CRITICAL, 71 WARNING']);
});

t.test('a suppression notice counts the events inside the summaries it replaces', async (t) => {
  const { noise, texts, clock } = noiseWith({ rate: { burst: 1, perSecond: 0.1 }, queueSize: 1 });
  noise.submit('irc:#ops', stateChange('a', 'DOWN'));
  for (let window = 0; window < 3; window++) {
    for (let i = 0; i < 10; i++) noise.submit('irc:#ops', stateChange(`h${window}-${i}`, 'DOWN'));
    clock.advance(1_000);
  }
  clock.advance(100_000);
  t.same(texts(), ['DOWN a', '10 hosts DOWN: h0-0, h0-1, h0-2, h0-3, h0-4, ... and 5 more', '... 20 more events suppressed: 20 DOWN']);
});

t.test('a notice waiting in the queue takes later overflow too; later messages queue behind it', async (t) => {
  const { noise, texts, clock } = noiseWith({ rate: { burst: 1, perSecond: 1 }, queueSize: 1, storm: NO_GROUPING });
  for (let i = 0; i < 4; i++) noise.submit('irc:#ops', stateChange(`h${i}`, 'DOWN'));
  clock.advance(1_000);
  t.same(texts(), ['DOWN h0', 'DOWN h1'], 'h2 waits in the queue, h3 is counted into a notice behind it');
  t.equal(noise.queueDepth, 2, 'the queue depth counts the waiting message and the notice');
  noise.submit('irc:#ops', stateChange('h4', 'DOWN'));
  noise.submit('irc:#ops', stateChange('h5', 'DOWN'));
  clock.advance(1_000);
  t.same(texts().slice(2), ['DOWN h2'], 'h4 takes the free place behind the notice, h5 joins the notice');
  clock.advance(1_000);
  t.same(texts().slice(3), ['... 2 more events suppressed: 2 DOWN']);
  clock.advance(1_000);
  t.same(texts().slice(4), ['DOWN h4']);
  clock.advance(10_000);
  t.equal(texts().length, 5);
});

t.test('close() stops the timers and logs what was not sent', async (t) => {
  const { noise, texts, clock, logger } = noiseWith({ rate: { burst: 1, perSecond: 1 }, queueSize: 1, storm: NO_GROUPING });
  for (let i = 0; i < 4; i++) noise.submit('irc:#ops', stateChange(`h${i}`, 'DOWN'));
  noise.close();
  clock.advance(10_000);
  t.same(texts(), ['DOWN h0']);
  t.match(logger.lines.join('\n'), /stopped with events not sent destination=irc:#ops count=3 events="3 DOWN"/);
});

t.test('flush() lets out what waits: held changes and the storm window, grouped as usual', async (t) => {
  const { noise, texts, clock } = noiseWith({ dedup: { windowMs: 60_000, types: ['StateChange'], keep: 'notification', holdMs: 6_000 } });
  noise.submit('irc:#ops', stateChange('db1!mysql', 'CRITICAL'));
  t.same(texts(), [], 'held for its notification');
  for (const host of ['a', 'b', 'c', 'd', 'e']) noise.submit('slack:#ops', stateChange(`${host}!http`, 'WARNING', { stateType: 'SOFT' }));
  t.same(texts('slack:#ops'), ['WARNING a!http'], 'the first at once, the rest in the storm window');
  noise.flush();
  t.same(texts('irc:#ops'), ['CRITICAL db1!mysql'], 'the held change goes out');
  t.same(texts('slack:#ops'), ['WARNING a!http', '4 services WARNING on 4 hosts: b!http, c!http, d!http, e!http'], 'the storm window is closed now and grouped');
  clock.advance(600_000);
  t.equal(texts().length, 3, 'no timer left');
});

t.test('flush() sends the head of the rate-limit queue past the rate and sums up the rest in one notice', async (t) => {
  const { noise, texts, clock } = noiseWith({ rate: { burst: 1, perSecond: 0.01 }, queueSize: 5, storm: NO_GROUPING });
  for (let i = 0; i < 9; i++) noise.submit('irc:#ops', stateChange(`h${i}`, i < 7 ? 'DOWN' : 'UP'));
  clock.advance(1_000);
  t.same(texts(), ['DOWN h0'], 'one token: 5 wait in the queue, 3 in a suppression notice behind them');
  t.equal(noise.queueDepth, 6);
  noise.flush();
  t.same(texts(), ['DOWN h0', 'DOWN h1', 'DOWN h2', 'DOWN h3', '... 5 more events not sent, icinga-relay is stopping: 3 DOWN, 2 UP']);
  t.equal(noise.queueDepth, 0);
  clock.advance(600_000);
  t.equal(texts().length, 5, 'no timer left');
});
