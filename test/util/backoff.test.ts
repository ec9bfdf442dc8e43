import t from 'tap';
import { Backoff, DEFAULT_BACKOFF } from '../../src/util/backoff.js';
import { FakeClock } from '../helpers/fake-clock.js';

const delays = (backoff: Backoff, count: number) => Array.from({ length: count }, () => backoff.nextDelay());

t.test('without jitter: doubles from the initial delay up to the cap, then stays there', async (t) => {
  const backoff = new Backoff({ jitter: 0 }, new FakeClock(), () => 0.7);
  t.same(delays(backoff, 9), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  t.same(DEFAULT_BACKOFF, { initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.2, healthyAfterMs: 60_000 });
});

t.test('jitter takes up to its fraction off, never adds', async (t) => {
  const clock = new FakeClock();
  t.same(delays(new Backoff({ initialDelayMs: 200, maxDelayMs: 1_000 }, clock, () => 0), 4), [200, 400, 800, 1_000]);
  // random() is below 1, so 0.999 is as close to the full jitter as it gets.
  t.same(delays(new Backoff({ initialDelayMs: 200, maxDelayMs: 1_000 }, clock, () => 0.999), 4), [160, 320, 640, 800]);
  t.same(delays(new Backoff({ initialDelayMs: 200, maxDelayMs: 1_000, jitter: 0.4 }, clock, () => 0.5), 4), [160, 320, 640, 800]);
});

t.test('delays keep growing below the cap whatever the random values', async (t) => {
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed - 1) / 2147483646;
  };
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 100_000, jitter: 0.49 }, new FakeClock(), random);
  const seen = delays(backoff, 10);
  for (let i = 1; i < seen.length; i++) t.ok(seen[i]! > seen[i - 1]!, `${seen[i]} > ${seen[i - 1]}`);
});

t.test('a connection that stayed up for the healthy period resets the delay', async (t) => {
  const clock = new FakeClock();
  const backoff = new Backoff({ jitter: 0, healthyAfterMs: 60_000 }, clock, Math.random);
  t.same(delays(backoff, 3), [1_000, 2_000, 4_000]);

  // Up for less than the healthy period: keeps growing.
  backoff.connected();
  clock.advance(59_999);
  t.equal(backoff.nextDelay(), 8_000);

  // Up for the healthy period: starts over.
  backoff.connected();
  clock.advance(60_000);
  t.same(delays(backoff, 2), [1_000, 2_000]);

  // Time passing while not connected does not count as healthy.
  clock.advance(600_000);
  t.equal(backoff.nextDelay(), 4_000);
});

t.test('invalid settings are refused', async (t) => {
  const clock = new FakeClock();
  t.throws(() => new Backoff({ initialDelayMs: 0 }, clock, Math.random), /initialDelayMs must be > 0/);
  t.throws(() => new Backoff({ initialDelayMs: 5_000, maxDelayMs: 1_000 }, clock, Math.random), /maxDelayMs \(1000\) must be >= initialDelayMs \(5000\)/);
  t.throws(() => new Backoff({ jitter: 0.5 }, clock, Math.random), /jitter must be in \[0, 0.5\)/);
  t.throws(() => new Backoff({ jitter: -0.1 }, clock, Math.random), /jitter/);
  t.throws(() => new Backoff({ healthyAfterMs: -1 }, clock, Math.random), /healthyAfterMs must be >= 0/);
  t.throws(() => new Backoff({ initialDelayMs: Number.NaN }, clock, Math.random), /initialDelayMs/);
});
