import t from 'tap';
import { Reconnector } from '../../src/util/reconnector.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup() {
  const clock = new FakeClock();
  let attempts = 0;
  const reconnector = new Reconnector({ initialDelayMs: 1_000, maxDelayMs: 4_000, jitter: 0 }, clock, () => 0, () => attempts++);
  return { clock, reconnector, attempts: () => attempts };
}

t.test('one attempt per failure, after the backoff delay, each counted', async (t) => {
  const { clock, reconnector, attempts } = setup();
  t.equal(reconnector.schedule(), 1_000);
  t.equal(reconnector.schedule(), undefined, 'a failure reported twice plans one attempt');
  t.ok(reconnector.pending);
  clock.advance(999);
  t.equal(attempts(), 0);
  clock.advance(1);
  t.equal(attempts(), 1);
  t.notOk(reconnector.pending);
  t.equal(reconnector.schedule(), 2_000, 'the next delay doubles');
  clock.advance(2_000);
  t.equal(reconnector.count, 2);
  t.equal(attempts(), 2);
});

t.test("a server's Retry-After makes the delay longer, never shorter", async (t) => {
  const { reconnector } = setup();
  t.equal(reconnector.schedule(5_000), 5_000);
  reconnector.close();
  const other = setup().reconnector;
  t.equal(other.schedule(10), 1_000);
});

t.test('after close() no attempt is made or planned', async (t) => {
  const { clock, reconnector, attempts } = setup();
  reconnector.schedule();
  reconnector.close();
  t.ok(reconnector.closed);
  clock.advance(10_000);
  t.equal(attempts(), 0, 'the planned attempt was called off');
  t.equal(reconnector.schedule(), undefined);
  t.same(clock.pendingDelays(), []);
  t.equal(reconnector.count, 1, 'what was counted stays counted');
});
