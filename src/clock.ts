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
