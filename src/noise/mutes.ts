/**
 * Mutes: patterns that silence objects in one destination until they expire. Patterns are those
 * of the `problems` command (`web*`, `*!disk`, `?` one character, case ignored; a word without
 * wildcards matches the objects whose name contains it), matched against `host` and
 * `host!service`, so `web01` silences the host and its services.
 *
 * With a state file they survive restarts: the file is rewritten whole on every change, to a
 * temporary file then renamed over the old one, so a crash leaves the old list or the new one,
 * never half of one. A file that cannot be read is logged and the relay starts with no mutes:
 * losing a mute means too many messages, the safe side.
 *
 * Each mute also keeps the objects whose problem had been shown in its destination when it was
 * added: their recovery must still come through, also after a restart. Problems that arrive
 * later are muted, never shown, so that list can only shrink.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomically } from '../atomic-file.js';
import type { Clock } from '../clock.js';
import { patternMatcher } from '../glob.js';
import { asRecord } from '../util/values.js';
import type { Logger } from '../log.js';

export interface Mute {
  destination: string;
  pattern: string;
  /** Milliseconds since the epoch. */
  until: number;
  /** Who muted it, as the commands name authors. */
  author: string;
  /** Objects matching the pattern whose problem was shown before the mute: their recovery passes. */
  shownProblems?: string[];
}

interface ActiveMute extends Mute {
  matches: (object: string) => boolean;
}

const STATE_VERSION = 1;

function plain({ destination, pattern, until, author, shownProblems }: Mute): Mute {
  return { destination, pattern, until, author, ...(shownProblems?.length ? { shownProblems: [...shownProblems] } : {}) };
}

function isMute(value: unknown): value is Mute {
  const mute = value as Partial<Mute> | null;
  return (
    typeof mute === 'object' &&
    mute !== null &&
    typeof mute.destination === 'string' &&
    typeof mute.pattern === 'string' &&
    typeof mute.until === 'number' &&
    typeof mute.author === 'string' &&
    (mute.shownProblems === undefined || (Array.isArray(mute.shownProblems) && mute.shownProblems.every((object) => typeof object === 'string')))
  );
}

export class MuteList {
  private mutes: ActiveMute[] = [];
  /** Destination → the event types shown there (the events command); absent: every type. */
  private readonly eventFilters = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly options: {
      stateFile?: string;
      clock: Clock;
      logger: Logger;
      /** The objects whose problem is currently shown in a destination (kept by noise control). */
      shownProblems?: (destination: string) => Iterable<string>;
    },
    /** How long a mute lasts when the command gives no duration (noise.mute_for). */
    readonly defaultForMs: number,
  ) {
    if (options.stateFile !== undefined) this.load(options.stateFile);
  }

  /** Mutes `pattern` in `destination` until `until`, replacing a mute of the same pattern there; false when it could not be saved. */
  add(mute: Mute): boolean {
    this.mutes = this.active().filter((other) => !(other.destination === mute.destination && other.pattern === mute.pattern));
    const matches = patternMatcher(mute.pattern);
    const shownProblems = [...(this.options.shownProblems?.(mute.destination) ?? [])].filter(matches);
    this.mutes.push({ ...mute, ...(shownProblems.length ? { shownProblems } : {}), matches });
    return this.save();
  }

  /** Whether `object`'s problem was shown in `destination` before a mute that silences it now. */
  problemShownBeforeMute(destination: string, object: string): boolean {
    return this.find(destination, object)?.shownProblems?.includes(object) ?? false;
  }

  /** `object` recovered in `destination`: its recovery has passed and no mute needs to remember it. */
  recovered(destination: string, object: string): void {
    let changed = false;
    for (const mute of this.mutes) {
      if (mute.destination !== destination || !mute.shownProblems?.includes(object)) continue;
      mute.shownProblems = mute.shownProblems.filter((shown) => shown !== object);
      changed = true;
    }
    if (changed) this.save();
  }

  /** Undefined when no such mute was active; otherwise whether the change was saved. */
  remove(destination: string, pattern: string): { saved: boolean } | undefined {
    const before = this.active();
    this.mutes = before.filter((mute) => !(mute.destination === destination && mute.pattern === pattern));
    return this.mutes.length === before.length ? undefined : { saved: this.save() };
  }

  /** Shows only these event types in `destination` from now on; undefined shows every type again. False when it could not be saved. */
  setEventFilter(destination: string, types: readonly string[] | undefined): boolean {
    if (types === undefined) this.eventFilters.delete(destination);
    else this.eventFilters.set(destination, new Set(types));
    return this.save();
  }

  /** The event types shown in `destination`, undefined when every type is. */
  eventFilter(destination: string): string[] | undefined {
    const types = this.eventFilters.get(destination);
    return types === undefined ? undefined : [...types];
  }

  /** Whether events of this type are shown in `destination` (the events command). */
  shows(destination: string, eventType: string): boolean {
    return this.eventFilters.get(destination)?.has(eventType) ?? true;
  }

  /** The active mutes of a destination, soonest to end first. */
  list(destination: string): Mute[] {
    return this.active()
      .filter((mute) => mute.destination === destination)
      .sort((a, b) => a.until - b.until)
      .map(plain);
  }

  /** The active mute in `destination` that silences `object`, if any. */
  find(destination: string, object: string): Mute | undefined {
    const now = this.options.clock.now();
    return this.mutes.find((mute) => mute.until > now && mute.destination === destination && mute.matches(object));
  }

  private active(): ActiveMute[] {
    const now = this.options.clock.now();
    return this.mutes.filter((mute) => mute.until > now);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.logger.error('cannot read the mutes state file; starting without mutes', { file, error });
      return;
    }
    try {
      const state = JSON.parse(text) as { version?: unknown; mutes?: unknown; events?: unknown };
      if (state.version !== STATE_VERSION || !Array.isArray(state.mutes) || !state.mutes.every(isMute)) throw new Error(`not a version ${STATE_VERSION} mutes file`);
      this.mutes = state.mutes.map((mute) => ({ ...mute, matches: patternMatcher(mute.pattern) }));
      // Files written before the events command have no filters.
      for (const [destination, types] of Object.entries(asRecord(state.events) ?? {})) {
        if (Array.isArray(types) && types.every((type) => typeof type === 'string')) this.eventFilters.set(destination, new Set(types));
      }
      this.mutes = this.active();
    } catch (error) {
      this.options.logger.error('the mutes state file is malformed; starting without mutes', { file, error });
    }
  }

  private save(): boolean {
    const file = this.options.stateFile;
    if (file === undefined) return true;
    const mutes = this.active().map(plain);
    const events = Object.fromEntries([...this.eventFilters].map(([destination, types]) => [destination, [...types]]));
    try {
      writeFileAtomically(file, JSON.stringify({ version: STATE_VERSION, mutes, ...(this.eventFilters.size > 0 && { events }) }, null, 2) + '\n');
      return true;
    } catch (error) {
      this.options.logger.error('cannot save the mutes; they last until the relay stops', { file, error });
      return false;
    }
  }
}
