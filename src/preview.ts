/**
 * `icinga-relay format`: recorded events through the relay's own pipeline, printed as the relay
 * would relay them. Input is a file holding one JSON event, a JSON array of events, or NDJSON (a
 * recording of the stream). With `explain`, an event that prints nothing says why; with `noise`,
 * noise control (dedup, flapping, storm grouping, rate limit) runs as it would for one
 * destination, on a clock that follows the events' own timestamps.
 */
import { ManualClock } from './clock.js';
import type { NoiseConfig } from './config/index.js';
import { asEvent, parseEventLine, type IcingaEvent } from './icinga/event-types.js';
import type { Logger } from './log.js';
import type { RelayMessage } from './message.js';
import { NoiseControl, type NoiseCount } from './noise/index.js';
import { Pipeline } from './pipeline.js';
import { createRouter } from './router.js';
import type { Templates } from './templates.js';

export interface PreviewSettings {
  width: number;
  softStates: boolean;
  /** Event types the relay would subscribe to; others would never reach it. */
  types: ReadonlySet<string>;
  templates?: Templates;
  /** Run noise control with these settings (mutes and their state file left out). */
  noise?: NoiseConfig;
  /** Say why an event printed nothing. */
  explain: boolean;
}

export interface PreviewOutput {
  line(text: string): void;
  /** A part of the input that is not an event: `where` is `file:line` or `file[index]`. */
  problem(where: string, text: string): void;
}

/** The one destination the preview delivers to: routes are left out, this shows what events look like. */
const DESTINATION = 'console';

/** Where an event of a recording is: for the problems and explanations. */
interface Located {
  where: string;
  event?: IcingaEvent;
  problem?: string;
}

/** The events in one input's text: a JSON document (an event or an array of them), else NDJSON. */
export function eventsIn(name: string, text: string): Located[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    // Not one document: NDJSON, one event a line (blank lines skipped).
    return text.split('\n').flatMap((line, index) => {
      if (line.trim() === '') return [];
      const { event, problem } = parseEventLine(line);
      return [{ where: `${name}:${index + 1}`, event, problem: problem && `${problem}: ${line.slice(0, 80)}` }];
    });
  }
  const items = Array.isArray(whole) ? whole : [whole];
  return items.map((item, index) => ({ where: Array.isArray(whole) ? `${name}[${index}]` : name, ...asEvent(item) }));
}

const NOISE_REASONS: Record<NoiseCount, string> = {
  deduplicated: 'deduplicated: the same change was shown within noise.dedup.window',
  flapping: 'held back: the object is flapping (its start and end are shown)',
  muted: 'muted',
  grouped: 'grouped into a storm summary',
  suppressed: 'rate-limited: counted into a suppression notice',
};

function objectOf(event: IcingaEvent): string {
  const { host, service } = event;
  if (typeof host !== 'string') return '';
  return typeof service === 'string' ? ` ${host}!${service}` : ` ${host}`;
}

export class Preview {
  private readonly pipeline: Pipeline;
  private readonly noise: NoiseControl | undefined;
  private readonly clock: ManualClock | undefined;
  /** What noise control did with the event being submitted, if it said. */
  private fate: NoiseCount | undefined;
  private delivered = 0;

  constructor(
    private readonly settings: PreviewSettings,
    private readonly output: PreviewOutput,
    logger: Logger,
  ) {
    this.pipeline = new Pipeline({
      width: settings.width,
      router: createRouter({ destinations: [DESTINATION], softStates: settings.softStates }),
      templates: settings.templates,
    });
    if (settings.noise) {
      this.clock = new ManualClock(0);
      this.noise = new NoiseControl(
        {
          ...settings.noise,
          stateFile: undefined,
          width: settings.width,
          deliver: (_destination, message) => this.print(message),
          onCount: (_destination, kind) => (this.fate = kind),
        },
        { clock: this.clock, logger },
      );
    }
  }

  add(located: Located): void {
    const { event, where } = located;
    if (!event) {
      this.output.problem(where, located.problem!);
      return;
    }
    const why = (reason: string) => {
      if (this.settings.explain) this.output.line(`[not shown] ${where}: ${event.type}${objectOf(event)}: ${reason}`);
    };
    if (!this.settings.types.has(event.type)) {
      why(`${event.type} is not among the subscribed event types (icinga.events), so the relay never receives it`);
      return;
    }
    const delivery = this.pipeline.process(event);
    if (!delivery) {
      why(event.state_type === 0 ? 'a SOFT state: relayed only with format.soft_states (--soft-states)' : 'no destination takes it');
      return;
    }
    if (!this.noise || !this.clock) {
      this.print(delivery.message);
      return;
    }
    // The clock follows the recording, so windows and rates apply as they did live.
    const at = delivery.message.timestamp * 1000;
    if (at > this.clock.now()) this.clock.advance(at - this.clock.now());
    this.fate = undefined;
    const before = this.delivered;
    this.noise.submit(DESTINATION, delivery.message);
    if (this.delivered > before) return;
    why(this.fate ? NOISE_REASONS[this.fate] : 'held by noise control (a storm window or the rate limit): see the summary that follows');
  }

  /** Lets out what noise control still holds, as time would. */
  end(): void {
    if (!this.noise || !this.clock) return;
    this.clock.advance(24 * 60 * 60 * 1000);
    this.noise.close();
  }

  private print(message: RelayMessage): void {
    this.delivered++;
    this.output.line(message.text);
  }
}
