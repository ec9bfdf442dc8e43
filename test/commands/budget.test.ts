/** Each sender's command budget: charged per line, one "slow down" a window, bounded in senders. */
import t from 'tap';
import { MAX_SENDERS, SenderBudgets, SLOW_DOWN_WINDOW_MS } from '../../src/commands/budget.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('a burst, then the rate; over budget told once a window', async (t) => {
  const clock = new FakeClock();
  const budgets = new SenderBudgets({ burst: 2, perSecond: 1 }, clock);
  t.same(budgets.charge('irc:mallory'), { ok: true });
  t.same(budgets.charge('irc:mallory'), { ok: true });
  t.same(budgets.charge('irc:mallory'), { ok: false, waitMs: 1000, tell: true });
  t.same(budgets.charge('irc:mallory'), { ok: false, waitMs: 1000, tell: false });
  t.same(budgets.charge('irc:alice'), { ok: true }, 'others have their own');
  clock.advance(1000);
  t.same(budgets.charge('irc:mallory'), { ok: true });
  t.same(budgets.charge('irc:mallory'), { ok: false, waitMs: 1000, tell: false }, 'not told again within the window');
  clock.advance(SLOW_DOWN_WINDOW_MS);
  budgets.charge('irc:mallory');
  budgets.charge('irc:mallory');
  t.same(budgets.charge('irc:mallory'), { ok: false, waitMs: 1000, tell: true }, 'told again after it');
});

t.test('50,000 senders once each: only those whose budget is not whole again are remembered, and never more than the cap', async (t) => {
  const clock = new FakeClock();
  const budgets = new SenderBudgets({ burst: 5, perSecond: 0.2 }, clock);
  for (let index = 0; index < 50_000; index++) {
    budgets.charge(`xmpp:stranger${index}@example.org`);
    if (index % 1000 === 999) clock.advance(1000);
  }
  // 25,000 arrived within the 25 s a bucket takes to fill again: more than the cap.
  t.equal(budgets.size, MAX_SENDERS, 'capped: the least recently seen were forgotten');
  clock.advance(25_000);
  budgets.charge('irc:last');
  t.equal(budgets.size, 1, 'once their buckets have filled again they are forgotten');

  const small = new SenderBudgets({ burst: 5, perSecond: 0.2 }, clock, 3);
  for (const sender of ['a', 'b', 'c', 'd']) small.charge(sender);
  t.equal(small.size, 3, 'past the cap the least recently seen goes');
  small.charge('a');
  t.same(small.charge('a'), { ok: true }, "a forgotten sender's budget starts afresh");
});
