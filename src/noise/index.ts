/**
 * Noise control: between routing and the chat backends, per destination, in this order:
 *
 * 1. dedup: repeated reports of one change are dropped (dedup.ts);
 * 2. flapping: state changes of a flapping object are held back (flapping.ts);
 * 3. mutes: muted objects are silenced, except the recovery of a problem already reported (mutes.ts);
 * 4. storm grouping: a burst becomes a few summary lines (storm.ts);
 * 5. rate limit: a bounded queue whose overflow becomes a suppression notice (rate-limit.ts).
 *
 * What goes out (single messages, summaries, notices) is handed to `deliver`.
 */
import type { Clock } from '../clock.js';
import type { NoiseConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';
import { Deduplicator } from './dedup.js';
import { FlappingFilter } from './flapping.js';
import { MuteList } from './mutes.js';
import { RateLimitedQueue } from './rate-limit.js';
import { objectOf, stateReport } from './reports.js';
import { StormGrouper } from './storm.js';
import { addTo, countOf, describeTally } from './tally.js';

export interface NoiseControlOptions extends NoiseConfig {
  /** Longest message text (format.width), for the summaries. */
  width: number;
  deliver: (destination: string, message: RelayMessage) => void;
}

/** The noise state of one destination. */
interface DestinationNoise {
  dedup: Deduplicator;
  flapping: FlappingFilter;
  storm: StormGrouper;
  queue: RateLimitedQueue;
  /** Objects whose latest reported state is a problem: their recovery is reported even when muted since. */
  inProblem: Set<string>;
}

export class NoiseControl {
  readonly mutes: MuteList;
  private readonly destinations = new Map<string, DestinationNoise>();
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(
    private readonly options: NoiseControlOptions,
    { clock, logger }: { clock: Clock; logger: Logger },
  ) {
    this.clock = clock;
    this.logger = logger;
    this.mutes = new MuteList({ stateFile: options.stateFile, clock, logger }, options.muteForMs);
  }

  submit(destination: string, message: RelayMessage): void {
    const noise = this.noiseOf(destination);
    const now = this.clock.now();
    if (noise.dedup.isRepeat(message, now)) {
      this.logger.debug('dropped a repeated report', { destination, eventType: message.eventType, object: objectOf(message) });
      return;
    }
    const passed = noise.flapping.filter(message, now);
    if (passed === undefined) {
      this.logger.debug('held back a state change of a flapping object', { destination, object: objectOf(message) });
      return;
    }
    const object = objectOf(passed);
    const report = stateReport(passed);
    const mute = object === undefined ? undefined : this.mutes.find(destination, object);
    if (mute && !(report?.recovery && noise.inProblem.has(report.object))) {
      this.logger.debug('muted', { destination, object, pattern: mute.pattern });
      return;
    }
    if (report?.recovery) noise.inProblem.delete(report.object);
    else if (report) noise.inProblem.add(report.object);
    noise.storm.add(passed);
  }

  /** Stops every timer; what was still waiting is logged, not sent. */
  close(): void {
    for (const [destination, noise] of this.destinations) {
      const waiting = noise.storm.close();
      addTo(waiting, noise.queue.close());
      if (waiting.size > 0) this.logger.warn('stopped with events not sent', { destination, count: countOf(waiting), events: describeTally(waiting) });
    }
  }

  private noiseOf(destination: string): DestinationNoise {
    let noise = this.destinations.get(destination);
    if (!noise) {
      const { options, clock } = this;
      const queue = new RateLimitedQueue(options, clock, (message) => options.deliver(destination, message));
      noise = {
        dedup: new Deduplicator(options.dedup, clock.now()),
        flapping: new FlappingFilter(options.width),
        storm: new StormGrouper(options.storm, options.width, clock, (outgoing) => queue.push(outgoing)),
        queue,
        inProblem: new Set(),
      };
      this.destinations.set(destination, noise);
    }
    return noise;
  }
}
