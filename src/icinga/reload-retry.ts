/**
 * Sending a request again while Icinga2 reloads. Measured (docs/icinga2-versions.md): 2.14 answers
 * actions with 503 "Icinga is reloading" for about 2 s of a reload, and every version refuses or
 * resets connections for a moment while the worker process switches (~20 ms measured on 2.13).
 * Such a request is sent again, with backoff, for up to RELOAD_RETRY_MS (a 503), or
 * REFUSED_RETRY_MS (a refused or reset connection: more often Icinga2 is down, and the person
 * should hear so soon); whoever waits is told once.
 */
import type { Clock, Random } from '../clock.js';
import { Backoff } from '../util/backoff.js';

export const RELOAD_RETRY_MS = 30_000;
export const REFUSED_RETRY_MS = 10_000;
const FIRST_DELAY_MS = 250;
const LONGEST_DELAY_MS = 4_000;

/**
 * One attempt: done, or worth another try (`retry` says why) for up to `budgetMs` from the first
 * attempt, with what to give back when that runs out.
 */
export type Attempt<T> = { done: T } | { retry: string; giveUp: T; budgetMs: number };

export interface ReloadRetryOptions {
  clock: Clock;
  random: Random;
  /** Told before the first retry, with the reason and the budget. */
  onRetry?: (reason: string, budgetMs: number) => void;
}

export async function retryDuringReload<T>(attempt: () => Promise<Attempt<T>>, options: ReloadRetryOptions): Promise<T> {
  const { clock } = options;
  const started = clock.now();
  const backoff = new Backoff({ initialDelayMs: FIRST_DELAY_MS, maxDelayMs: LONGEST_DELAY_MS }, clock, options.random);
  for (let tries = 0; ; tries++) {
    const result = await attempt();
    if ('done' in result) return result.done;
    const left = started + result.budgetMs - clock.now();
    if (left <= 0) return result.giveUp;
    if (tries === 0) options.onRetry?.(result.retry, result.budgetMs);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(left, backoff.nextDelay())));
  }
}
