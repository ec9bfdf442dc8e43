/** Time as a parameter, so backoff, probes and windows are tested with a fake clock instead of sleeps. */

export type TimerHandle = { readonly timer: unknown };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // Timers must never keep the process alive on their own: shutdown is explicit.
    timer.unref();
    return { timer };
  },
  clearTimeout: (handle) => {
    if (handle) clearTimeout(handle.timer as NodeJS.Timeout);
  },
};

/** A random source in [0, 1), injected for the same reason as the clock (jitter). */
export type Random = () => number;

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
  handle: TimerHandle;
}

/**
 * A clock that only moves when told to; timers fire in due order during advance(). The tests'
 * fake clock, and `format --noise`, which replays recorded events on their own timestamps.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start: number) {
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
