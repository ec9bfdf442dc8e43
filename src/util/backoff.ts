import type { Clock, Random } from '../clock.js';

/** Reconnect delays: doubling from initialDelayMs up to maxDelayMs, with jitter. Keeps no timers. */

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialDelayMs?: number;
  /** The delay stops doubling here. */
  maxDelayMs?: number;
  /**
   * Up to this fraction is taken off each delay at random, so relays restarted together (or
   * dropped by the same Icinga2 reload) do not reconnect in step. Kept below 0.5 so each delay is
   * still longer than the one before it, until the cap.
   */
  jitter?: number;
  /** A connection that stayed up this long counts as healthy: the next delay starts over. */
  healthyAfterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  jitter: 0.2,
  healthyAfterMs: 60_000,
};

export class Backoff {
  private readonly settings: Required<BackoffOptions>;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly random: Random;
  /** Failures since the last healthy connection. */
  private failures = 0;
  private connectedAt: number | undefined;

  constructor(options: BackoffOptions, clock: Pick<Clock, 'now'>, random: Random) {
    const settings = { ...DEFAULT_BACKOFF, ...options };
    if (!(settings.initialDelayMs > 0)) throw new Error(`backoff initialDelayMs must be > 0, got ${settings.initialDelayMs}`);
    if (!(settings.maxDelayMs >= settings.initialDelayMs)) {
      throw new Error(`backoff maxDelayMs (${settings.maxDelayMs}) must be >= initialDelayMs (${settings.initialDelayMs})`);
    }
    if (!(settings.jitter >= 0 && settings.jitter < 0.5)) throw new Error(`backoff jitter must be in [0, 0.5), got ${settings.jitter}`);
    if (!(settings.healthyAfterMs >= 0)) throw new Error(`backoff healthyAfterMs must be >= 0, got ${settings.healthyAfterMs}`);
    this.settings = settings;
    this.clock = clock;
    this.random = random;
  }

  /** The connection is up; if it stays up for healthyAfterMs, the next delay starts over. */
  connected(): void {
    this.connectedAt = this.clock.now();
  }

  /** How long to wait before the next attempt, after a failure or an end. */
  nextDelay(): number {
    if (this.connectedAt !== undefined && this.clock.now() - this.connectedAt >= this.settings.healthyAfterMs) {
      this.failures = 0;
    }
    this.connectedAt = undefined;
    const { initialDelayMs, maxDelayMs, jitter } = this.settings;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** this.failures);
    // Stop counting once at the cap, so the exponent never grows without bound.
    if (base < maxDelayMs) this.failures++;
    return Math.round(base * (1 - jitter * this.random()));
  }
}
