/**
 * Problems: what the relay has said about one host or service from its first relayed non-OK
 * report (a HARD state change, its PROBLEM notification, or a storm line that names it) to its
 * recovery. Everything relayed about the object in between belongs to the problem.
 *
 * The book sees every message on its way to a destination (after noise control) and says, per
 * object the message is about, whether it opens a problem there, updates one, or ends one. Each
 * problem has a short reference (`#42`) for the whole relay, the smallest number no remembered
 * problem holds: stable while the problem is open, and free again only when the closed problem
 * is forgotten (`forgetAfterMs`, 7 days by default). Per destination it keeps the chat message
 * that started the problem there (a Slack `ts`), so updates can go to its thread.
 *
 * With a state directory the book survives restarts (`problems.json`, rewritten atomically a
 * moment after a change, and at once when the relay stops): a relay restarted in the middle of a
 * problem keeps its reference and its thread. A file that cannot be read is logged and the relay
 * starts with no problems: later events of those objects are plain messages, nothing is lost.
 */
import { join } from 'node:path';
import { asNumber, asRecord, asText } from '../util/values.js';
import { DelayedSave, readStateFile, writeFileAtomically } from '../atomic-file.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ProblemLink, RelayMessage } from '../message.js';
import { objectOf, stateReport } from '../noise/reports.js';

export const PROBLEMS_FILE = 'problems.json';
const STATE_VERSION = 1;
export const DEFAULT_FORGET_AFTER_MS = 7 * 24 * 3_600_000;
const RECOVERED_STATES = new Set(['OK', 'UP']);

/** Where a problem stands in one destination. */
export interface ProblemPlace {
  /** The chat message that started the problem there (a Slack `ts`), once the backend said so. */
  rootId?: string;
  /** Its plain text, when it was about this object alone: what an edit of it starts from. */
  rootText?: string;
  /** When the recovery went out there (ms); absent while the problem is open there. */
  closedAt?: number;
}

export interface Problem {
  ref: number;
  /** `host` or `host!service`. */
  object: string;
  /** When its first report was relayed (ms). */
  openedAt: number;
  /** The latest state relayed. */
  state: string;
  /** When the latest state was relayed (ms). */
  stateSince: number;
  /** When it was closed in its last open destination (ms); absent while open somewhere. */
  closedAt?: number;
  places: Map<string, ProblemPlace>;
}

/** What a message is to a problem in its destination. */
export type ProblemRole = ProblemLink['role'];

export interface ProblemStep {
  problem: Problem;
  role: ProblemRole;
}

export interface ProblemBookOptions {
  /** The state directory; without it the book lives in memory only. */
  dir?: string;
  /** How long a closed problem is remembered, holding its reference. */
  forgetAfterMs?: number;
  clock: Clock;
  logger: Logger;
  /** How long after a change the file is rewritten; changes in between are written together. */
  saveDelayMs?: number;
}

/**
 * The objects a message is about: its own, or those a storm summary names in its text.
 * Summaries with a state report that state for each object they name.
 */
function objectsOf(message: RelayMessage): readonly string[] {
  if (message.objects !== undefined) return message.objects;
  const own = objectOf(message);
  return own === undefined ? [] : [own];
}

/** The state a message reports for its objects, when it opens or ends problems; undefined for other messages. */
function reportedState(message: RelayMessage): { state: string; recovery: boolean } | undefined {
  if (message.objects !== undefined) {
    // A storm summary of one state: `db01: 3 services CRITICAL: disk, load, swap`.
    return message.state === undefined ? undefined : { state: message.state, recovery: RECOVERED_STATES.has(message.state) };
  }
  const report = stateReport(message);
  if (report === undefined) return undefined;
  // A SOFT problem state is not a problem yet (Icinga2 may still find it OK); a recovery ends one whatever its type.
  if (!report.recovery && report.stateType !== 'HARD') return undefined;
  return { state: report.state, recovery: report.recovery };
}

export class ProblemBook {
  private readonly byRef = new Map<number, Problem>();
  /** Object → its open problem (open in at least one destination). */
  private readonly openByObject = new Map<string, Problem>();
  private readonly saving: DelayedSave;
  /** Changed by a reload that keeps the book. */
  forgetAfterMs: number;

  constructor(private readonly options: ProblemBookOptions) {
    this.saving = new DelayedSave(options.clock, options.saveDelayMs ?? 1_000, () => this.save());
    this.forgetAfterMs = options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.load();
  }

  get dir(): string | undefined {
    return this.options.dir;
  }

  get file(): string | undefined {
    return this.options.dir === undefined ? undefined : join(this.options.dir, PROBLEMS_FILE);
  }

  /**
   * What `message`, on its way to `destination`, is to the problems of the objects it names:
   * one step per object that has (or now opens, or now ends) a problem there. Empty for a
   * message about no problem, which goes out as a plain message.
   */
  observe(destination: string, message: RelayMessage): ProblemStep[] {
    const now = this.options.clock.now();
    this.forget(now);
    const reported = reportedState(message);
    const steps: ProblemStep[] = [];
    for (const object of objectsOf(message)) {
      const open = this.openByObject.get(object);
      const place = open?.places.get(destination);
      const openHere = place !== undefined && place.closedAt === undefined;
      if (reported?.recovery) {
        if (!openHere) continue;
        place.closedAt = now;
        open!.state = reported.state;
        open!.stateSince = now;
        if ([...open!.places.values()].every((other) => other.closedAt !== undefined)) {
          open!.closedAt = now;
          this.openByObject.delete(object);
        }
        steps.push({ problem: open!, role: 'recovered' });
      } else if (reported) {
        const problem = open ?? this.openProblem(object, reported.state, now);
        if (problem.state !== reported.state) problem.stateSince = now;
        problem.state = reported.state;
        if (openHere) {
          steps.push({ problem, role: 'update' });
        } else {
          // New here, or back after its recovery here while another destination still shows it.
          problem.places.set(destination, {});
          steps.push({ problem, role: 'opened' });
        }
      } else if (openHere) {
        steps.push({ problem: open!, role: 'update' });
      }
    }
    if (steps.some((step) => step.role !== 'update')) this.changed();
    return steps;
  }

  /** Records the chat message that started the problem in `destination` (for its thread and edits). */
  setRoot(destination: string, ref: number, rootId: string, rootText?: string): void {
    const place = this.byRef.get(ref)?.places.get(destination);
    if (place === undefined || place.rootId === rootId) return;
    place.rootId = rootId;
    if (rootText !== undefined) place.rootText = rootText;
    this.changed();
  }

  /** The problem `#ref` stands for, open or remembered closed; undefined when no problem has it. */
  find(ref: number): Problem | undefined {
    this.forget(this.options.clock.now());
    return this.byRef.get(ref);
  }

  /** The open problem of an object, if it has one. */
  openProblemOf(object: string): Problem | undefined {
    return this.openByObject.get(object);
  }

  /** The reference of the object's open problem (for commands that show references). */
  refOf(object: string): number | undefined {
    return this.openByObject.get(object)?.ref;
  }

  /** Open problems, oldest first. */
  open(): Problem[] {
    return [...this.openByObject.values()].sort((a, b) => a.openedAt - b.openedAt || a.ref - b.ref);
  }

  /** Writes the file now if a save is pending (the relay stops). */
  flush(): void {
    this.saving.flush();
  }

  private openProblem(object: string, state: string, now: number): Problem {
    let ref = 1;
    while (this.byRef.has(ref)) ref++;
    const problem: Problem = { ref, object, openedAt: now, state, stateSince: now, places: new Map() };
    this.byRef.set(ref, problem);
    this.openByObject.set(object, problem);
    return problem;
  }

  /** Closed problems older than forgetAfterMs let go of their references. */
  private forget(now: number): void {
    for (const [ref, problem] of this.byRef) {
      if (problem.closedAt !== undefined && now - problem.closedAt >= this.forgetAfterMs) {
        this.byRef.delete(ref);
        this.changed();
      }
    }
  }

  private changed(): void {
    if (this.file !== undefined) this.saving.changed();
  }

  private save(): void {
    const file = this.file!;
    const problems = [...this.byRef.values()].map(({ places, ...problem }) => ({ ...problem, places: Object.fromEntries(places) }));
    try {
      writeFileAtomically(file, JSON.stringify({ version: STATE_VERSION, savedAt: this.options.clock.now(), problems }) + '\n');
    } catch (error) {
      this.options.logger.error('cannot save the problems; after a restart their events are plain messages', { file, error });
    }
  }

  private load(): void {
    const file = this.file;
    if (file === undefined) return;
    const text = readStateFile(file, this.options.logger, 'cannot read the problems file; starting without open problems');
    if (text === undefined) return;
    try {
      const saved = asRecord(JSON.parse(text));
      if (saved?.version !== STATE_VERSION || !Array.isArray(saved.problems)) throw new Error(`not a version ${STATE_VERSION} problems file`);
      for (const value of saved.problems) {
        const problem = readProblem(value);
        if (problem === undefined || this.byRef.has(problem.ref)) continue;
        this.byRef.set(problem.ref, problem);
        if (problem.closedAt === undefined) this.openByObject.set(problem.object, problem);
      }
    } catch (error) {
      this.options.logger.error('the problems file is malformed; starting without open problems', { file, error });
    }
  }
}

function readProblem(value: unknown): Problem | undefined {
  const record = asRecord(value);
  const ref = asNumber(record?.ref);
  const object = asText(record?.object);
  const state = asText(record?.state);
  const openedAt = asNumber(record?.openedAt);
  const stateSince = asNumber(record?.stateSince);
  const places = asRecord(record?.places);
  if (ref === undefined || !Number.isInteger(ref) || ref < 1 || object === undefined || state === undefined) return undefined;
  if (openedAt === undefined || stateSince === undefined || places === undefined) return undefined;
  const problem: Problem = { ref, object, openedAt, state, stateSince, places: new Map() };
  const closedAt = asNumber(record?.closedAt);
  if (closedAt !== undefined) problem.closedAt = closedAt;
  for (const [destination, placeValue] of Object.entries(places)) {
    const saved = asRecord(placeValue);
    const place: ProblemPlace = {};
    const rootId = asText(saved?.rootId);
    const rootText = asText(saved?.rootText);
    if (rootText !== undefined) place.rootText = rootText;
    const placeClosedAt = asNumber(saved?.closedAt);
    if (rootId !== undefined) place.rootId = rootId;
    if (placeClosedAt !== undefined) place.closedAt = placeClosedAt;
    problem.places.set(destination, place);
  }
  return problem;
}
