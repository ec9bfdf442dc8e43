/**
 * Silence detection. Icinga2's stream sends no keepalive bytes, so a quiet channel can mean "all
 * fine" or "the relay is deaf": when the stream has been unusable for a while, the ops
 * destinations are told, and told again when contact is back (the catch-up summary follows).
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';
import type { RelayMessage, Severity } from './message.js';
import { formatGap } from './duration.js';

export interface SilenceOptions {
  /** How long the stream may be unusable before anyone is told. */
  afterMs: number;
  /** Where to tell: the ops destinations. */
  notify: readonly string[];
  submit: (destination: string, message: RelayMessage) => void;
  clock: Clock;
  logger: Logger;
}

/** HH:MM in the relay's local time zone, as people on call read a clock. */
function clockTime(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Where a watch stands: handed to the watch of the relay that replaces this one (SIGHUP). */
export interface SilenceState {
  downSince: number | undefined;
  reason: string;
  /** "lost contact" was posted: "back in contact" is owed. */
  told: boolean;
}

export class SilenceWatch {
  private downSince: number | undefined;
  private reason = 'not connected yet';
  private timer: TimerHandle | undefined;
  private told = false;

  constructor(private readonly options: SilenceOptions) {}

  /** When the stream became unusable, if it is now. */
  get since(): number | undefined {
    return this.downSince;
  }

  get state(): SilenceState {
    return { downSince: this.downSince, reason: this.reason, told: this.told };
  }

  /**
   * The relay starts without contact: silence counts from now; or, after a reload, from where the
   * replaced relay's watch stood, so an outage that spans the reload is one outage, told once and
   * ended once.
   */
  start(resumed?: SilenceState): void {
    if (resumed?.downSince !== undefined) {
      this.downSince = resumed.downSince;
      this.reason = resumed.reason;
      this.told = resumed.told;
      const dueInMs = resumed.downSince + this.options.afterMs - this.options.clock.now();
      if (!this.told) this.timer = this.options.clock.setTimeout(() => this.tell(), Math.max(0, dueInMs));
      return;
    }
    this.lost(resumed ? 'reloading' : 'not connected yet');
  }

  lost(reason: string): void {
    this.reason = reason;
    if (this.downSince !== undefined) return;
    this.downSince = this.options.clock.now();
    this.timer = this.options.clock.setTimeout(() => this.tell(), this.options.afterMs);
  }

  found(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.told && this.downSince !== undefined) {
      this.post('ok', `back in contact with Icinga2 after ${formatGap(this.options.clock.now() - this.downSince)}`);
    }
    this.told = false;
    this.downSince = undefined;
  }

  stop(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tell(): void {
    this.timer = undefined;
    this.told = true;
    this.post('critical', `lost contact with Icinga2 since ${clockTime(this.downSince!)} (${this.reason})`);
  }

  private post(severity: Severity, text: string): void {
    this.options.logger.warn(text);
    for (const destination of this.options.notify) {
      this.options.submit(destination, { eventType: 'Relay', severity, text, timestamp: this.options.clock.now() / 1000, fields: {} });
    }
  }
}
