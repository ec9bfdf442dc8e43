/**
 * Sending a request again while Icinga2 reloads. Measured (docs/icinga2-versions.md): 2.14 answers
 * actions with 503 "Icinga is reloading" for about 2 s of a reload, and every version refuses or
 * resets connections for a moment while the worker process switches. Such a request is sent again,
 * with backoff, for up to RELOAD_RETRY_MS; whoever waits is told once.
 */
import type { Clock, Random } from '../clock.js';
import { Backoff } from './backoff.js';

export const RELOAD_RETRY_MS = 30_000;
const FIRST_DELAY_MS = 250;
const LONGEST_DELAY_MS = 4_000;

/** One attempt: done, or worth another try (`reason` says why), with what to give back if time runs out. */
export type Attempt<T> = { done: T } | { retry: string; giveUp: T };

export interface ReloadRetryOptions {
  clock: Clock;
  random: Random;
  /** Told before the first retry, with the reason. */
  onRetry?: (reason: string) => void;
  budgetMs?: number;
}

export async function retryDuringReload<T>(attempt: () => Promise<Attempt<T>>, options: ReloadRetryOptions): Promise<T> {
  const { clock } = options;
  const deadline = clock.now() + (options.budgetMs ?? RELOAD_RETRY_MS);
  const backoff = new Backoff({ initialDelayMs: FIRST_DELAY_MS, maxDelayMs: LONGEST_DELAY_MS }, clock, options.random);
  for (let tries = 0; ; tries++) {
    const result = await attempt();
    if ('done' in result) return result.done;
    const left = deadline - clock.now();
    if (left <= 0) return result.giveUp;
    if (tries === 0) options.onRetry?.(result.retry);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(left, backoff.nextDelay())));
  }
}
