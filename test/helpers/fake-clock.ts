import type { Clock, TimerHandle } from '../../src/clock.js';

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
  handle: TimerHandle;
}

/** A clock that only moves when a test says so; timers fire in due order during advance(). */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { timer: this.seq };
    this.timers.push({ due: this.current + Math.max(0, ms), seq: this.seq++, fn, handle });
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  }

  /** Delays of the timers still pending, relative to now, in the order they will fire. */
  pendingDelays(): number[] {
    return this.sorted().map((t) => t.due - this.current);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.sorted()[0];
      if (!next || next.due > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }

  private sorted(): PendingTimer[] {
    return [...this.timers].sort((a, b) => a.due - b.due || a.seq - b.seq);
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
