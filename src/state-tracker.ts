/**
 * Remembers when each object's current hard state began, so a state change can say how long
 * the previous state lasted. Icinga2's events do not carry that time.
 */
import type { IcingaEvent } from './icinga/event-types.js';

interface HardState {
  state: number;
  since: number;
  /** When the state before this one began: answered again for a repeated event of the same change. */
  previousSince?: number;
}

const HARD = 1;

export class HardStateTracker {
  private readonly states = new Map<string, HardState>();

  /**
   * Records a hard StateChange and returns when the previous hard state began, if known.
   * Icinga2 sometimes sends the same change twice; the repeat gets the same answer.
   */
  observe(event: IcingaEvent): number | undefined {
    if (event.type !== 'StateChange' || event.state_type !== HARD) return undefined;
    const { host, service, state, timestamp } = event;
    if (typeof host !== 'string' || typeof state !== 'number' || typeof timestamp !== 'number') return undefined;
    const key = typeof service === 'string' ? `${host}!${service}` : host;
    const known = this.states.get(key);
    if (known && known.state === state) return known.previousSince;
    const previousSince = known?.since;
    this.states.set(key, { state, since: timestamp, previousSince });
    return previousSince;
  }

  get size(): number {
    return this.states.size;
  }
}
