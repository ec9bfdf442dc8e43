/**
 * Drops repeated reports of one change. Icinga2 sends one Notification per Notification object
 * (two users, two events), a StateChange and a PROBLEM notification for the same change, a
 * Flapping event and a FLAPPINGSTART notification, and sometimes the same StateChange twice.
 * By default (`keep: first`) the first report of a change is kept, because it arrives first and
 * holding it back would delay every alert; the repeats within the window are dropped. With
 * `keep: notification`, NoiseControl holds a HARD StateChange for `holdMs` so that the PROBLEM or
 * RECOVERY notification of the same change (which says who was notified) is the one kept; a
 * StateChange no notification follows goes out when the hold ends.
 *
 * Each object has slots (its state, its flapping, each other notification type); a report is a
 * repeat when its slot last held the same change within the window. A different change in
 * between (CRITICAL, OK, CRITICAL) is news, however quick.
 */
import type { RelayMessage } from '../message.js';
import { flappingChange, type MessageFacts } from './reports.js';

/** The event types whose reports dedup compares; the others always pass. */
export const DEDUP_TYPES = ['StateChange', 'Notification', 'Flapping'] as const;
export type DedupType = (typeof DEDUP_TYPES)[number];

/** Which report of one change is kept: the first to arrive, or the notification (who was notified). */
export const DEDUP_KEEP = ['first', 'notification'] as const;
export type DedupKeep = (typeof DEDUP_KEEP)[number];

export interface DedupSettings {
  windowMs: number;
  types: readonly DedupType[];
  /** Default `first`. */
  keep?: DedupKeep;
  /** With `keep: notification`: how long a HARD StateChange waits for its notification. */
  holdMs?: number;
}

interface Seen {
  change: string;
  at: number;
}

/** Which slot of its object a message fills, and the change it reports there. */
function slotOf(message: RelayMessage, { report }: MessageFacts): { slot: string; change: string } | undefined {
  if (report) return { slot: 'state', change: report.change };
  const flapping = flappingChange(message);
  if (flapping) return { slot: 'flapping', change: flapping };
  if (message.eventType !== 'Notification') return undefined;
  // ACKNOWLEDGEMENT, CUSTOM, DOWNTIMESTART, ...: the same author and text is the same notice.
  return { slot: `notification ${String(message.notificationType)}`, change: message.notice ?? '' };
}

export class Deduplicator {
  /** Object → slot → the change last seen there. */
  private readonly seen = new Map<string, Map<string, Seen>>();
  private sweptAt: number;

  constructor(
    private readonly settings: DedupSettings,
    now: number,
  ) {
    this.sweptAt = now;
  }

  /** Whether the message repeats a change reported within the window; records it otherwise. */
  isRepeat(message: RelayMessage, facts: MessageFacts, now: number): boolean {
    if (!(this.settings.types as readonly string[]).includes(message.eventType)) return false;
    const { object } = facts;
    const filled = slotOf(message, facts);
    if (object === undefined || filled === undefined) return false;
    this.sweep(now);
    let slots = this.seen.get(object);
    if (!slots) {
      slots = new Map();
      this.seen.set(object, slots);
    }
    const last = slots.get(filled.slot);
    if (last === undefined) {
      slots.set(filled.slot, { change: filled.change, at: now });
      return false;
    }
    if (last.change === filled.change && now - last.at < this.settings.windowMs) return true;
    // Updated in place: in a storm this runs for every event, and most objects have been seen.
    last.change = filled.change;
    last.at = now;
    return false;
  }

  /** Forgets what is older than the window, at most once per window, so memory follows the live objects. */
  private sweep(now: number): void {
    if (now - this.sweptAt < this.settings.windowMs) return;
    this.sweptAt = now;
    for (const [object, slots] of this.seen) {
      for (const [slot, seen] of slots) if (now - seen.at >= this.settings.windowMs) slots.delete(slot);
      if (slots.size === 0) this.seen.delete(object);
    }
  }
}
