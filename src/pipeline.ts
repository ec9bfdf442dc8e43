/**
 * One parsed event in, at most one formatted message and its destinations out:
 * state tracking → formatter → router. Pure apart from the tracker's memory, so the relay, the
 * `format` command and the benchmarks all run the same steps.
 */
import { formatEvent } from '../formatters/index.js';
import type { IcingaEvent } from './icinga/event-types.js';
import type { RelayMessage } from './message.js';
import type { Router } from './router.js';
import { HardStateTracker } from './state-tracker.js';

export interface Delivery {
  message: RelayMessage;
  destinations: readonly string[];
}

export interface PipelineOptions {
  width: number;
  router: Router;
}

export class Pipeline {
  private readonly tracker = new HardStateTracker();

  constructor(private readonly options: PipelineOptions) {}

  /** Undefined when no destination wants the event. */
  process(event: IcingaEvent): Delivery | undefined {
    const previousStateSince = this.tracker.observe(event);
    const message = formatEvent(event, { width: this.options.width, previousStateSince });
    const destinations = this.options.router(message);
    return destinations.length > 0 ? { message, destinations } : undefined;
  }
}
