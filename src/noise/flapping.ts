/**
 * Reports flapping once when it starts and once when it ends, not every state change between:
 * while an object flaps, its StateChange and PROBLEM/RECOVERY reports are held back (counted,
 * and the count is added to the message that says flapping ended). The end message names the
 * state the object settled in, so nothing the suppressed changes said is lost.
 */
import { truncate } from '../util/values.js';
import type { RelayMessage } from '../message.js';
import { flappingChange, type MessageFacts } from './reports.js';

/**
 * A missed end (a gap in the event stream, a deleted object) must not silence an object for
 * good: a flapping mark that sees no change for this long lapses. Flapping objects change far
 * more often than this, so a live mark is renewed by every change it suppresses.
 */
export const FLAPPING_MARK_LAPSES_MS = 3_600_000;

interface FlappingMark {
  suppressed: number;
  lastChangeAt: number;
}

export class FlappingFilter {
  private readonly flapping = new Map<string, FlappingMark>();

  /** `width`: longest message text (format.width), which the note on the end message must respect. */
  constructor(private readonly width: number) {}

  /** The message to pass on (the end of flapping with its count), or undefined when it is held back. */
  filter(message: RelayMessage, { object, report }: MessageFacts, now: number): RelayMessage | undefined {
    if (object === undefined) return message;
    const change = flappingChange(message);
    if (change === 'start') {
      this.flapping.set(object, this.flapping.get(object) ?? { suppressed: 0, lastChangeAt: now });
      return message;
    }
    const mark = this.flapping.get(object);
    if (change === 'end') {
      this.flapping.delete(object);
      if (!mark || mark.suppressed === 0) return message;
      const note = ` [${mark.suppressed} state change${mark.suppressed === 1 ? '' : 's'} while flapping not shown]`;
      return { ...message, text: truncate(message.text, this.width - note.length) + note, fields: { ...message.fields, suppressed_while_flapping: mark.suppressed } };
    }
    if (!mark || report === undefined) return message;
    if (now - mark.lastChangeAt >= FLAPPING_MARK_LAPSES_MS) {
      this.flapping.delete(object);
      return message;
    }
    mark.suppressed += 1;
    mark.lastChangeAt = now;
    return undefined;
  }
}
