/** The noise section: dedup, storm grouping, rate limit and mutes per destination (src/noise/). */

import { z } from 'zod';
import { DEDUP_KEEP, DEDUP_TYPES, type DedupSettings } from '../noise/dedup.js';
import type { StormSettings } from '../noise/storm.js';
import type { RateLimit } from '../util/token-bucket.js';
import { expecting, type SchemaHelpers } from './schema.js';

/** Noise control per destination (src/noise/): dedup, storm grouping, rate limit, mutes. */
export interface NoiseConfig {
  dedup: DedupSettings;
  storm: StormSettings;
  /** Messages per destination, on top of each backend's own protocol throttle. */
  rate: RateLimit;
  /** Messages waiting for the rate limit per destination; overflow becomes a suppression notice. */
  queueSize: number;
  /** How long `mute <pattern>` lasts without `for <duration>`. */
  muteForMs: number;
  /** Absolute path of the JSON file that keeps mutes across restarts; in memory only when absent. */
  stateFile?: string;
}

export const DEFAULT_NOISE: NoiseConfig = {
  // Icinga2 sends the repeats of one change within milliseconds; a minute also covers a
  // StateChange and its notification split across two of 2.13's 5-second delivery ticks.
  // keep: first, because holding the StateChange for its notification delays every alert; the
  // hold applies only with keep: notification (2.13 may split the two across one ~5 s tick).
  dedup: { windowMs: 60_000, types: [...DEDUP_TYPES], keep: 'first', holdMs: 6_000 },
  // One second: a lone alert waits at most that long, and 2.13 delivers a burst within one tick.
  storm: { windowMs: 1_000, groupFrom: 3, names: 5, hostLines: 3 },
  // 12 messages a minute after a burst of 10: readable, and a 20-message queue is 100 s behind at most.
  rate: { burst: 10, perSecond: 0.2 },
  queueSize: 20,
  muteForMs: 3_600_000,
};

export function noiseSection({ duration, choice, count, optionalSection, switchedSection, rateLimit, writableFile }: SchemaHelpers) {
  const noise = switchedSection({
    dedup: optionalSection({
      window: duration.prefault('60s'),
      types: z
        .array(choice(DEDUP_TYPES), { error: expecting(`a list of event types (${DEDUP_TYPES.join(', ')})`) })
        .default([...DEFAULT_NOISE.dedup.types]),
      keep: choice(DEDUP_KEEP).default(DEFAULT_NOISE.dedup.keep!),
      hold: duration.prefault('6s'),
    }),
    storm: optionalSection({
      window: duration.prefault('1s'),
      group_from: count('messages', 2, 1000).default(DEFAULT_NOISE.storm.groupFrom),
      names: count('names', 1, 50).default(DEFAULT_NOISE.storm.names),
      host_lines: count('lines', 1, 100).default(DEFAULT_NOISE.storm.hostLines),
    }),
    rate: rateLimit(DEFAULT_NOISE.rate.burst, DEFAULT_NOISE.rate.perSecond),
    queue_size: count('messages', 1, 10_000).default(DEFAULT_NOISE.queueSize),
    mute_for: duration.prefault('1h'),
    state_file: writableFile('the mutes state file').optional(),
  })
    .transform(
      (keys): NoiseConfig => ({
        dedup: { windowMs: keys.dedup.window, types: [...new Set(keys.dedup.types)], keep: keys.dedup.keep, holdMs: keys.dedup.hold },
        storm: { windowMs: keys.storm.window, groupFrom: keys.storm.group_from, names: keys.storm.names, hostLines: keys.storm.host_lines },
        rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
        queueSize: keys.queue_size,
        muteForMs: keys.mute_for,
        ...(keys.state_file !== undefined && { stateFile: keys.state_file }),
      }),
    )
    .optional();
  return noise;
}
