/** A token bucket: `burst` messages at once, then `perSecond` on average. Time comes from the clock. */
import type { Clock } from '../clock.js';

export interface RateLimit {
  /** Messages that may go out back to back after a quiet period. */
  burst: number;
  /** Sustained messages per second. */
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new Error(`a rate limit needs burst >= 1 and perSecond > 0, got burst ${limit.burst}, perSecond ${limit.perSecond}`);
    }
    this.tokens = limit.burst;
    this.updatedAt = clock.now();
  }

  /** Takes a token if one is there; otherwise answers how many milliseconds until one is. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil(((1 - this.tokens) * 1000) / this.limit.perSecond) };
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.perSecond);
    this.updatedAt = now;
  }
}
