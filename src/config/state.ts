/** What the relay keeps and does around restarts and outages: the state, silence and shutdown sections. */

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { expecting, fileProblem, type SchemaHelpers } from './schema.js';

/** Where the relay keeps what must survive a restart (src/catchup.ts). */
export interface StateConfig {
  /** Absolute path of an existing directory. */
  dir: string;
  /** How long a closed problem is remembered, holding its reference (src/problems/book.ts). */
  forgetProblemsAfterMs: number;
}

/** What SIGTERM does (src/relay.ts stop()). */
export interface ShutdownConfig {
  /** How long the outgoing queues may take to drain before the goodbye; keep it below the unit's TimeoutStopSec. */
  flushMs: number;
}

/** Silence detection (src/silence.ts). */
export interface SilenceConfig {
  afterMs: number;
  notify: string[];
}

export function stateSection({ section, text, duration, baseDir }: SchemaHelpers) {
  const state = section({
    dir: text('the path of the state directory').transform((name, ctx) => {
      const path = resolve(baseDir, name);
      try {
        if (!statSync(path).isDirectory()) throw new Error(`${path} is not a directory`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot use ${path} as the state directory (${fileProblem(error)})` });
        return z.NEVER;
      }
      return path;
    }),
    forget_problems_after: duration.prefault('7d'),
  })
    .transform((keys): StateConfig => ({ dir: keys.dir, forgetProblemsAfterMs: keys.forget_problems_after }))
    .optional();
  return state;
}

/** `destination`: a destination the chat backends can name (checked against the configured ones later). */
export function silenceSection({ section, duration }: SchemaHelpers, destination: z.ZodType<string>) {
  const silence = section({
    after: duration.prefault('2m'),
    notify: z.array(destination, { error: expecting('a list of destinations such as [irc:#ops]') }).min(1, { error: expecting('at least one destination') }),
  })
    .transform((keys): SilenceConfig => ({ afterMs: keys.after, notify: keys.notify }))
    .optional();
  return silence;
}

export function shutdownSection({ optionalSection, duration }: SchemaHelpers) {
  const shutdown = optionalSection({
    flush: duration.prefault('5s'),
  }).transform((keys): ShutdownConfig => ({ flushMs: keys.flush }));

  return shutdown;
}
