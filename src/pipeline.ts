/**
 * One parsed event in, at most one formatted message and its destinations out:
 * state tracking → formatter (or the config's template for the type) → router. Pure apart from the tracker's memory, so the relay, the
 * `format` command and the benchmarks all run the same steps.
 */
import { formatEvent } from '../formatters/index.js';
import type { IcingaEvent } from './icinga/event-types.js';
import type { RelayMessage } from './message.js';
import type { Router } from './router.js';
import { HardStateTracker } from './state-tracker.js';
import { renderTemplate, type Templates } from './templates.js';

export interface Delivery {
  message: RelayMessage;
  destinations: readonly string[];
}

export interface PipelineOptions {
  width: number;
  router: Router;
  templates?: Templates;
}

export class Pipeline {
  private readonly tracker = new HardStateTracker();

  constructor(private readonly options: PipelineOptions) {}

  /** Undefined when no destination wants the event. */
  process(event: IcingaEvent): Delivery | undefined {
    const previousStateSince = this.tracker.observe(event);
    const message = formatEvent(event, { width: this.options.width, previousStateSince });
    const destinations = this.options.router(message);
    if (destinations.length === 0) return undefined;
    const template = this.options.templates?.get(message.eventType);
    if (template) message.text = renderTemplate(template, message, this.options.width);
    return { message, destinations };
  }
}
