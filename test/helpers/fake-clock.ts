import { ManualClock } from '../../src/clock.js';

/** The manual clock, starting at a fixed date: tests move it with advance(). */
export class FakeClock extends ManualClock {
  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    super(start);
  }
}

/**
 * Waits for `promise` while it waits on `clock`: gives loopback I/O real time, then moves the
 * clock to the next timer, until the promise settles (for retries against a fake server).
 */
export async function settleOnFakeClock<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  for (let step = 0; !settled; step++) {
    if (step === 2000) throw new Error('the promise did not settle in 2000 steps of the fake clock');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [next] = clock.pendingDelays();
    if (!settled && next !== undefined) clock.advance(next);
  }
  return watched;
}
