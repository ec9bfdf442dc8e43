/**
 * Each sender's command budget: a token bucket per sender, charged for every line addressed to the
 * relay before anything is done for it. A sender over budget gets one "slow down" answer per
 * window and nothing more, so a flood of lines becomes at most a trickle of replies.
 *
 * Strangers can make as many senders as they like (nicks, JIDs, DM peers), so the map is bounded:
 * a sender whose bucket has filled up again is forgotten (a new bucket is full too, so forgetting
 * changes nothing), and past `maxSenders` the least recently seen go first.
 */
import type { Clock } from '../clock.js';
import { TokenBucket, type RateLimit } from '../util/token-bucket.js';

/** How often an over-budget sender is told so, at most. */
export const SLOW_DOWN_WINDOW_MS = 60_000;
/** Senders remembered at most; past it the least recently seen are forgotten (their budget starts afresh). */
export const MAX_SENDERS = 10_000;

interface Budget {
  bucket: TokenBucket;
  lastSeen: number;
  /** When the sender was last told to slow down. */
  toldAt: number | undefined;
}

export type Charge = { ok: true } | { ok: false; waitMs: number; tell: boolean };

export class SenderBudgets {
  /** In the order last seen: the Map keeps insertion order, and a charge moves its sender to the end. */
  private readonly budgets = new Map<string, Budget>();
  /** How long an untouched bucket takes to fill from empty: after that, a sender is as good as new. */
  private readonly refillMs: number;

  constructor(
    private readonly rate: RateLimit,
    private readonly clock: Clock,
    private readonly maxSenders = MAX_SENDERS,
  ) {
    this.refillMs = Math.ceil((rate.burst / rate.perSecond) * 1000);
  }

  /** Takes one line's worth of `sender`'s budget. */
  charge(sender: string): Charge {
    const now = this.clock.now();
    let budget = this.budgets.get(sender);
    if (budget) this.budgets.delete(sender);
    else budget = { bucket: new TokenBucket(this.rate, this.clock), lastSeen: now, toldAt: undefined };
    budget.lastSeen = now;
    this.budgets.set(sender, budget);
    this.forgetIdle(now);
    const taken = budget.bucket.take();
    if (taken.ok) return taken;
    const tell = budget.toldAt === undefined || now - budget.toldAt >= SLOW_DOWN_WINDOW_MS;
    if (tell) budget.toldAt = now;
    return { ok: false, waitMs: taken.waitMs, tell };
  }

  /** Senders remembered now (for tests and /metrics). */
  get size(): number {
    return this.budgets.size;
  }

  private forgetIdle(now: number): void {
    for (const [sender, budget] of this.budgets) {
      const full = now - budget.lastSeen >= this.refillMs && (budget.toldAt === undefined || now - budget.toldAt >= SLOW_DOWN_WINDOW_MS);
      if (!full && this.budgets.size <= this.maxSenders) return;
      this.budgets.delete(sender);
    }
  }
}
