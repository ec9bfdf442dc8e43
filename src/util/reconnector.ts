/**
 * The bookkeeping around reconnecting one connection: the backoff between attempts, the one
 * timer waiting for the next attempt, the count of attempts scheduled (for /metrics), and the
 * guard that schedules nothing once the owner is closing. What an attempt does is the owner's.
 */
import type { Clock, Random, TimerHandle } from '../clock.js';
import { Backoff, type BackoffOptions } from './backoff.js';

export class Reconnector {
  private readonly backoff: Backoff;
  private timer: TimerHandle | undefined;
  private closedNow = false;
  /** Attempts scheduled after a lost or failed connection, since the reconnector was made. */
  count = 0;

  constructor(
    backoff: BackoffOptions,
    private readonly clock: Clock,
    random: Random,
    /** Makes the next attempt; it reports its own failure by calling schedule() again. */
    private readonly attempt: () => void,
  ) {
    this.backoff = new Backoff(backoff, clock, random);
  }

  /** The connection is up: once it has stayed up long enough, the next delay starts over. */
  connected(): void {
    this.backoff.connected();
  }

  /**
   * Plans the next attempt, at least `atLeastMs` from now (a server's Retry-After); returns its
   * delay, or undefined when one is planned already (a failure reported twice) or after close().
   */
  schedule(atLeastMs = 0): number | undefined {
    if (this.closedNow || this.timer !== undefined) return undefined;
    const delayMs = Math.max(this.backoff.nextDelay(), atLeastMs);
    this.count++;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, delayMs);
    return delayMs;
  }

  /** An attempt is planned and has not started yet. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** The owner is closing: no attempt is made or planned any more. */
  get closed(): boolean {
    return this.closedNow;
  }

  close(): void {
    this.closedNow = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
