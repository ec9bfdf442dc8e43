/**
 * Noise control: between routing and the chat backends, per destination, in this order:
 *
 * 1. dedup: repeated reports of one change are dropped (dedup.ts); with `dedup.keep:
 *    notification` a HARD StateChange is held for `dedup.holdMs`, and the notification of the
 *    same change replaces it if it comes in that time;
 * 2. flapping: state changes of a flapping object are held back (flapping.ts);
 * 3. mutes: muted objects are silenced, except the recovery of a problem already reported (mutes.ts);
 * 4. storm grouping: a burst becomes a few summary lines (storm.ts);
 * 5. rate limit: a bounded queue whose overflow becomes a suppression notice (rate-limit.ts).
 *
 * What goes out (single messages, summaries, notices) is handed to `deliver`.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { NoiseConfig } from '../config/noise.js';
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';
import { Deduplicator } from './dedup.js';
import { FlappingFilter } from './flapping.js';
import { MuteList, type Mute } from './mutes.js';
import { RateLimitedQueue } from './rate-limit.js';
import { factsOf, type MessageFacts } from './reports.js';
import { StormGrouper } from './storm.js';
import { addTo, countOf, describeTally, single } from './tally.js';

export interface NoiseControlOptions extends NoiseConfig {
  /** Longest message text (format.width), for the summaries. */
  width: number;
  deliver: (destination: string, message: RelayMessage) => void;
  /** Told how many events each stage kept from going out on their own, for /metrics. */
  onCount?: (destination: string, kind: NoiseCount, events: number) => void;
}

/**
 * `deduplicated`, `flapping`, `muted`: events dropped by that stage; `grouped`: events covered by
 * a storm summary; `suppressed`: events counted into a rate-limit suppression notice.
 */
export type NoiseCount = 'deduplicated' | 'flapping' | 'muted' | 'grouped' | 'suppressed';

/** A HARD StateChange waiting for its notification (dedup.keep: notification). */
interface Held {
  change: string;
  message: RelayMessage;
  facts: MessageFacts;
  timer: TimerHandle;
}

/** Default hold for `dedup.keep: notification`: Icinga2 2.13 can split a change and its notification across two ~5 s ticks. */
export const DEFAULT_HOLD_MS = 6_000;

/** The noise state of one destination. */
interface DestinationNoise {
  dedup: Deduplicator;
  /** Object → its StateChange held for the notification. */
  held: Map<string, Held>;
  flapping: FlappingFilter;
  storm: StormGrouper;
  queue: RateLimitedQueue;
  /** Objects whose latest reported state is a problem: their recovery is reported even when muted since. */
  inProblem: Set<string>;
}

/** Queued messages per destination that still go out as they are at shutdown; the rest are summed up in one notice. */
export const SHUTDOWN_MESSAGES = 3;

export class NoiseControl {
  readonly mutes: MuteList;
  private readonly destinations = new Map<string, DestinationNoise>();
  private readonly options: NoiseControlOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: NoiseControlOptions, { clock, logger }: { clock: Clock; logger: Logger }) {
    // A copy: retarget() changes where it delivers.
    this.options = { ...options };
    this.clock = clock;
    this.logger = logger;
    this.mutes = new MuteList(
      { stateFile: options.stateFile, clock, logger, shownProblems: (destination) => this.destinations.get(destination)?.inProblem ?? [] },
      options.muteForMs,
    );
  }

  submit(destination: string, message: RelayMessage): void {
    const noise = this.noiseOf(destination);
    const now = this.clock.now();
    const facts = factsOf(message);
    const { object, report } = facts;
    const held = object === undefined ? undefined : noise.held.get(object);
    if (noise.dedup.isRepeat(message, facts, now)) {
      if (held && message.eventType === 'Notification' && report && held.change === report.change) {
        // The notification of the held change says who was notified: it goes out instead.
        this.release(noise, object!, false);
        this.pass(destination, noise, message, facts);
        return;
      }
      this.logger.debug('dropped a repeated report', { destination, eventType: message.eventType, object });
      this.options.onCount?.(destination, 'deduplicated', 1);
      return;
    }
    // Anything new about the object goes out after the StateChange held for it, in order.
    if (held) this.release(noise, object!, true, destination);
    const { keep = 'first', holdMs = DEFAULT_HOLD_MS } = this.options.dedup;
    if (keep === 'notification' && message.eventType === 'StateChange' && report?.stateType === 'HARD' && holdMs > 0) {
      const timer = this.clock.setTimeout(() => this.release(noise, object!, true, destination), holdMs);
      noise.held.set(object!, { change: report.change, message, facts, timer });
      return;
    }
    this.pass(destination, noise, message, facts);
  }

  /** Ends the hold of the object's StateChange; passes it on unless a notification replaced it. */
  private release(noise: DestinationNoise, object: string, send: boolean, destination?: string): void {
    const held = noise.held.get(object);
    if (!held) return;
    this.clock.clearTimeout(held.timer);
    noise.held.delete(object);
    if (send) this.pass(destination!, noise, held.message, held.facts);
  }

  /** After dedup: flapping, mutes, storm grouping and the rate limit. */
  private pass(destination: string, noise: DestinationNoise, message: RelayMessage, facts: MessageFacts): void {
    const now = this.clock.now();
    const passed = noise.flapping.filter(message, facts, now);
    const { object, report } = facts;
    if (passed === undefined) {
      this.logger.debug('held back a state change of a flapping object', { destination, object });
      this.options.onCount?.(destination, 'flapping', 1);
      return;
    }
    const mute = object === undefined ? undefined : this.muting(destination, object, report?.recovery === true);
    if (mute) {
      this.logger.debug('muted', { destination, object, pattern: mute.pattern });
      this.options.onCount?.(destination, 'muted', 1);
      return;
    }
    if (report?.recovery) {
      noise.inProblem.delete(report.object);
      this.mutes.recovered(destination, report.object);
    } else if (report) noise.inProblem.add(report.object);
    noise.storm.add(passed, facts);
  }

  /** Whether anything waits here to go out: a held state change, a storm window's events, a rate-limit queue. */
  get holding(): boolean {
    for (const noise of this.destinations.values()) {
      if (noise.held.size > 0 || noise.storm.holding || noise.queue.length > 0) return true;
    }
    return false;
  }

  /**
   * The mute that silences news of `object` in `destination`, if any: none for the recovery of a
   * problem that was shown there (before the mute, or before a restart).
   */
  muting(destination: string, object: string, recovery: boolean): Mute | undefined {
    const mute = this.mutes.find(destination, object);
    if (!mute || !recovery) return mute;
    const problemWasShown = this.destinations.get(destination)?.inProblem.has(object) || this.mutes.problemShownBeforeMute(destination, object);
    return problemWasShown ? undefined : mute;
  }

  /** Messages waiting for the rate limit, over all destinations (for /metrics). */
  get queueDepth(): number {
    let total = 0;
    for (const noise of this.destinations.values()) total += noise.queue.length;
    return total;
  }

  /**
   * Noise control carried over to the relay that replaces this one (a reload with the same noise
   * settings): storms, holds, queues, dedup windows and mutes go on, delivering to the new relay.
   */
  retarget(deliver: NoiseControlOptions['deliver'], onCount: NoiseControlOptions['onCount']): void {
    this.options.deliver = deliver;
    this.options.onCount = onCount;
  }

  /**
   * For a shutdown: what waits goes out now instead of being lost: held state changes, the storm
   * windows (grouped as usual), then each rate-limit queue, its first SHUTDOWN_MESSAGES as they
   * are and the rest summed up in one notice. Then close().
   */
  flush(): void {
    for (const [destination, noise] of this.destinations) {
      for (const object of [...noise.held.keys()]) this.release(noise, object, true, destination);
      noise.storm.flush();
      noise.queue.flush(SHUTDOWN_MESSAGES);
    }
    this.close();
  }

  /** Stops every timer; what was still waiting is logged, not sent. */
  close(): void {
    for (const [destination, noise] of this.destinations) {
      const waiting = noise.storm.close();
      for (const [object, held] of noise.held) {
        this.clock.clearTimeout(held.timer);
        noise.held.delete(object);
        addTo(waiting, single(held.message).covers);
      }
      addTo(waiting, noise.queue.close());
      if (waiting.size > 0) this.logger.warn('stopped with events not sent', { destination, count: countOf(waiting), events: describeTally(waiting) });
    }
  }

  private noiseOf(destination: string): DestinationNoise {
    let noise = this.destinations.get(destination);
    if (!noise) {
      const { options, clock } = this;
      const queue = new RateLimitedQueue(options, clock, (message) => {
        if (message.fields.noise === 'suppressed') options.onCount?.(destination, 'suppressed', Number(message.fields.count) || 0);
        options.deliver(destination, message);
      });
      noise = {
        dedup: new Deduplicator(options.dedup, clock.now()),
        held: new Map(),
        flapping: new FlappingFilter(options.width),
        storm: new StormGrouper(options.storm, options.width, clock, (outgoing) => {
          const covered = countOf(outgoing.covers);
          if (covered > 1) options.onCount?.(destination, 'grouped', covered);
          queue.push(outgoing);
        }),
        queue,
        inProblem: new Set(),
      };
      this.destinations.set(destination, noise);
    }
    return noise;
  }
}
