/**
 * Catch-up after a gap. Icinga2's event stream has no replay: what changes while the stream is
 * down, or while the relay itself is stopped, is never sent (shared/icinga2-notes.md). So the
 * relay keeps the last known HARD state of every host and service, in a state file so that a
 * restart of the relay also catches up, and after every (re)connect reads the current states
 * from the API and reports the difference: one summary per destination, routed like the state
 * changes it stands for.
 *
 * Like icinga-notifications, the catch-up is kept apart from the live reader: while it reads,
 * live events are held back, then merged. Per object, an event at least as new as the reading
 * wins (the summary leaves the object out and the event reports it), and a state-change event
 * older than the reading is dropped (the summary already says where the object ended up). A change
 * a live event already reported is in the known states, so the summary never repeats it.
 */
import { join } from 'node:path';
import { stateSeverity } from '../formatters/common.js';
import { currentStateName, eventCheckable } from './icinga/checkables.js';
import { asNumber, asRecord, asText, firstLine } from './util/values.js';
import { DelayedSave, readStateFile, writeFileAtomically } from './atomic-file.js';
import type { Clock, Random, TimerHandle } from './clock.js';
import { formatGap } from './duration.js';
import { Backoff, type BackoffOptions } from './util/backoff.js';
import type { IcingaConnection } from './icinga/connection.js';
import type { IcingaEvent } from './icinga/event-types.js';
import { queryObjects } from './icinga/object-cache.js';
import type { Logger } from './log.js';
import type { RelayMessage, Severity } from './message.js';

export interface HardState {
  /** UP/DOWN for hosts, OK/WARNING/CRITICAL/UNKNOWN for services. */
  state: string;
  /** When the hard state began, in seconds since the epoch (Icinga2's unit). */
  since: number;
}

export interface CurrentState extends HardState {
  /** `host` or `host!service`. */
  object: string;
  host: string;
  service?: string;
  /** The first line of the last check's output. */
  output?: string;
}

export interface StateChange extends CurrentState {
  /** The state known before, if the object was known. */
  previous?: string;
  kind: 'problem' | 'recovered';
}

const HEALTHY = new Set(['UP', 'OK']);
const HOST_HARD_STATES = ['UP', 'DOWN'];
const SERVICE_HARD_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
const HOST_ATTRS = ['name', 'last_hard_state', 'last_hard_state_change', 'last_check_result'];
const SERVICE_ATTRS = ['name', 'host_name', ...HOST_ATTRS.slice(1)];
// Worst first: the summary lists problems in this order, and its severity is the first one's.
const PROBLEM_RANK: Record<string, number> = { DOWN: 0, CRITICAL: 0, UNKNOWN: 1, WARNING: 2 };

/**
 * Hosts and services as the API answers them, as hard states. `last_hard_state` is on the host
 * scale for hosts (0 UP, 1 DOWN) and the service scale for services. Objects never checked
 * (pending, no `last_check_result`) have no state to report and are left out.
 */
export function currentStates(hosts: readonly Record<string, unknown>[], services: readonly Record<string, unknown>[]): CurrentState[] {
  const states: CurrentState[] = [];
  const add = (attrs: Record<string, unknown>, host: string | undefined, service: string | undefined, scale: string[]) => {
    const result = asRecord(attrs.last_check_result);
    const state = scale[asNumber(attrs.last_hard_state) ?? -1];
    if (host === undefined || result === undefined || state === undefined) return;
    const output = asText(result.output);
    states.push({
      object: service === undefined ? host : `${host}!${service}`,
      host,
      ...(service !== undefined && { service }),
      state,
      since: asNumber(attrs.last_hard_state_change) ?? 0,
      ...(output !== undefined && firstLine(output) !== '' && { output: firstLine(output) }),
    });
  };
  for (const attrs of hosts) add(attrs, asText(attrs.name), undefined, HOST_HARD_STATES);
  for (const attrs of services) add(attrs, asText(attrs.host_name), asText(attrs.name), SERVICE_HARD_STATES);
  return states;
}

/** Reads every host's and service's hard state from the API. */
export async function readCurrentStates(connection: Pick<IcingaConnection, 'apiRequest'>): Promise<CurrentState[]> {
  const [hosts, services] = await Promise.all([
    queryObjects(connection, 'hosts', { attrs: HOST_ATTRS }),
    queryObjects(connection, 'services', { attrs: SERVICE_ATTRS }),
  ]);
  return currentStates(hosts, services);
}

/**
 * What changed from `known` to `current`: new problems (including a problem that changed state)
 * and recoveries. An object not known before counts only if it has a problem; an object gone from
 * Icinga2 is no change to report.
 */
export function diffStates(known: ReadonlyMap<string, HardState>, current: readonly CurrentState[]): StateChange[] {
  const changes: StateChange[] = [];
  for (const now of current) {
    const before = known.get(now.object);
    if (before?.state === now.state) continue;
    const healthy = HEALTHY.has(now.state);
    if (healthy && (before === undefined || HEALTHY.has(before.state))) continue;
    changes.push({ ...now, ...(before && { previous: before.state }), kind: healthy ? 'recovered' : 'problem' });
  }
  return changes;
}

function byRank(a: StateChange, b: StateChange): number {
  return (PROBLEM_RANK[a.state] ?? 3) - (PROBLEM_RANK[b.state] ?? 3) || a.object.localeCompare(b.object);
}

/**
 * "While the Icinga2 stream was down (2 min 13 s): 3 new problems: web01!http CRITICAL, ...;
 * 1 recovered: db01!disk", at most `width` characters: names that do not fit become "... and N more".
 */
export function summaryText(lead: string, changes: readonly StateChange[], width: number): string {
  const problems = changes.filter((change) => change.kind === 'problem').sort(byRank);
  const recovered = changes.filter((change) => change.kind === 'recovered').sort(byRank);
  const groups = [
    { title: `${problems.length} new problem${problems.length === 1 ? '' : 's'}`, items: problems.map((change) => `${change.object} ${change.state}`) },
    { title: `${recovered.length} recovered`, items: recovered.map((change) => change.object) },
  ].filter((group) => group.items.length > 0);
  // Counts first, so that whatever is cut, the numbers are always there.
  const heads = groups.map((group) => `${group.title}: `);
  let text = `${lead}: `;
  const parts = groups.map(() => [] as string[]);
  const omitted = groups.map((group) => group.items.length);
  const render = () =>
    text +
    groups
      .map((_, index) => heads[index] + [...parts[index], ...(omitted[index] > 0 ? [`... and ${omitted[index]} more`] : [])].join(', '))
      .join('; ');
  for (let index = 0; index < groups.length; index++) {
    for (const item of groups[index].items) {
      parts[index].push(item);
      omitted[index] -= 1;
      if (render().length > width) {
        parts[index].pop();
        omitted[index] += 1;
        break;
      }
    }
  }
  return render();
}

// ---------------------------------------------------------------- the state file

const STATE_VERSION = 1;
export const HARD_STATES_FILE = 'hard-states.json';

export interface HardStateStoreOptions {
  /** The state directory; in memory only when absent. */
  dir?: string;
  clock: Clock;
  logger: Logger;
  /** Saves are debounced: a burst of 10,000 events writes the file once. */
  saveDelayMs?: number;
  /**
   * Whether everything handed on for delivery so far has been sent (nothing waits in noise control
   * or a chat queue). Until it says so, a change is not announced: the file keeps the state before
   * it, so that a relay killed with alerts still queued reports them after its restart. Without it,
   * a change counts as announced at once.
   */
  delivered?: () => boolean;
  /** How often `delivered` is asked while changes wait to be announced. */
  deliveryCheckMs?: number;
}

export const DELIVERY_CHECK_MS = 1_000;

/**
 * The last known hard state of every object, saved atomically some seconds after a change. What
 * is saved is what was announced: a change whose alert has not reached the chat server yet is saved
 * as the state before it.
 */
export class HardStateStore {
  readonly states = new Map<string, HardState>();
  /** Objects whose latest change is not delivered yet, with the state announced before it (undefined: none). */
  private readonly unannounced = new Map<string, HardState | undefined>();
  private deliveryTimer: TimerHandle | undefined;
  /** See HardStateStoreOptions.delivered; the relay that takes the store over on a reload points it at itself. */
  delivered: (() => boolean) | undefined;
  /** Whether a state file was read: without one, the first reading is recorded silently. */
  readonly restored: boolean = false;
  /** When the saved states were last known to be current (ms), from the file. */
  readonly savedAt: number | undefined;
  private readonly saving: DelayedSave;

  constructor(private readonly options: HardStateStoreOptions) {
    this.saving = new DelayedSave(options.clock, options.saveDelayMs ?? 5_000, () => this.save());
    this.delivered = options.delivered;
    const file = this.file;
    if (file === undefined) return;
    const text = readStateFile(file, options.logger, 'cannot read the hard states file; the first catch-up reports nothing');
    if (text === undefined) return;
    try {
      const saved = JSON.parse(text) as { version?: unknown; savedAt?: unknown; states?: unknown };
      const states = asRecord(saved.states);
      if (saved.version !== STATE_VERSION || states === undefined) throw new Error(`not a version ${STATE_VERSION} hard states file`);
      for (const [object, value] of Object.entries(states)) {
        const record = asRecord(value);
        const [state, since] = [asText(record?.state), asNumber(record?.since)];
        if (state !== undefined && since !== undefined) this.states.set(object, { state, since });
      }
      this.restored = true;
      this.savedAt = asNumber(saved.savedAt);
    } catch (error) {
      options.logger.error('the hard states file is malformed; the first catch-up reports nothing', { file, error });
    }
  }

  get dir(): string | undefined {
    return this.options.dir;
  }

  get file(): string | undefined {
    return this.options.dir === undefined ? undefined : join(this.options.dir, HARD_STATES_FILE);
  }

  set(object: string, state: HardState): void {
    const known = this.states.get(object);
    if (known?.state === state.state && known.since === state.since) return;
    this.awaitDelivery(object, known);
    this.states.set(object, state);
    this.changed();
  }

  /** Replaces everything with what the API answered (objects gone from Icinga2 go from here too). */
  replace(current: readonly CurrentState[], keep: (object: string) => boolean = () => false): void {
    const objects = new Set(current.map((state) => state.object));
    for (const object of this.states.keys()) {
      if (!objects.has(object) && !keep(object)) {
        this.states.delete(object);
        this.unannounced.delete(object);
      }
    }
    for (const { object, state, since } of current) {
      if (keep(object)) continue;
      const known = this.states.get(object);
      // A change the catch-up summary reports is announced once that summary is sent.
      if (known?.state !== state) this.awaitDelivery(object, known);
      this.states.set(object, { state, since });
    }
    this.changed();
  }

  /** Changes not yet known to have reached chat. */
  get undelivered(): number {
    return this.unannounced.size;
  }

  /** Counts every change as announced if everything handed on has been sent (for a shutdown, after the flush). */
  checkDelivered(): void {
    if (this.unannounced.size === 0 || !(this.delivered?.() ?? true)) return;
    this.unannounced.clear();
    this.options.clock.clearTimeout(this.deliveryTimer);
    this.deliveryTimer = undefined;
    this.changed();
  }

  private awaitDelivery(object: string, announced: HardState | undefined): void {
    if (this.delivered === undefined) return;
    if (!this.unannounced.has(object)) this.unannounced.set(object, announced);
    this.deliveryTimer ??= this.options.clock.setTimeout(() => this.deliveryTick(), this.options.deliveryCheckMs ?? DELIVERY_CHECK_MS);
  }

  private deliveryTick(): void {
    this.deliveryTimer = undefined;
    this.checkDelivered();
    if (this.unannounced.size > 0) this.deliveryTimer = this.options.clock.setTimeout(() => this.deliveryTick(), this.options.deliveryCheckMs ?? DELIVERY_CHECK_MS);
  }

  /** Stops asking whether changes were delivered (the relay stops); what is unannounced stays so in the file. */
  stop(): void {
    this.options.clock.clearTimeout(this.deliveryTimer);
    this.deliveryTimer = undefined;
  }

  /** Writes the file now if a save is pending. */
  flush(): void {
    this.saving.flush();
  }

  private changed(): void {
    if (this.file !== undefined) this.saving.changed();
  }

  private save(): void {
    const file = this.file!;
    try {
      const saved = [...this.states].flatMap(([object, state]): [string, HardState][] => {
        if (!this.unannounced.has(object)) return [[object, state]];
        const announced = this.unannounced.get(object);
        return announced === undefined ? [] : [[object, announced]];
      });
      const states = Object.fromEntries(saved.sort(([a], [b]) => a.localeCompare(b)));
      writeFileAtomically(file, JSON.stringify({ version: STATE_VERSION, savedAt: this.options.clock.now(), states }) + '\n');
    } catch (error) {
      this.options.logger.error('cannot save the hard states; a restart of the relay may miss changes', { file, error });
    }
  }
}

// ---------------------------------------------------------------- the worker

export interface CatchUpOptions {
  read: () => Promise<CurrentState[]>;
  store: HardStateStore;
  /** The destinations a hard state change of the object would go to. */
  route: (message: RelayMessage) => readonly string[];
  submit: (destination: string, message: RelayMessage) => void;
  /** Passes a held live event on, as if it had just arrived. */
  release: (event: IcingaEvent) => void;
  clock: Clock;
  logger: Logger;
  width: number;
  /** Delays between attempts after a failed reading (doubling, with jitter); the stream's reconnect settings in the relay. */
  retry?: Pick<BackoffOptions, 'initialDelayMs' | 'maxDelayMs'>;
  random?: Random;
  /**
   * Whether the change is muted in the destination (src/noise): left out of its summary, which
   * says how many were. The summary carries no object of its own, so noise control cannot tell.
   */
  muted?: (destination: string, change: StateChange) => boolean;
  /** The store was read by a catch-up of the relay this one replaces (SIGHUP): no first, silent reading. */
  caughtUp?: boolean;
}

const HARD = 1;

/** The object and hard state a live event reports, for StateChange events of hard states only. */
function hardStateOf(event: IcingaEvent): { object: string; state: HardState } | undefined {
  if (event.type !== 'StateChange' || event.state_type !== HARD || typeof event.timestamp !== 'number') return undefined;
  const target = eventCheckable(event);
  const state = target && currentStateName(event, target);
  return target && state ? { object: target.object, state: { state, since: event.timestamp } } : undefined;
}

function eventObject(event: IcingaEvent): string | undefined {
  return eventCheckable(event)?.object;
}

export class CatchUp {
  private held: IcingaEvent[] | undefined;
  private running: Promise<void> | undefined;
  /** Whether a reading has succeeded yet: the first one reports the time the relay was stopped. */
  caughtUp: boolean;
  private readonly retryBackoff: Backoff;
  private retryTimer: TimerHandle | undefined;

  constructor(private readonly options: CatchUpOptions) {
    this.caughtUp = options.caughtUp ?? false;
    // healthyAfterMs 0: one good reading and the next failure starts from the shortest delay again.
    this.retryBackoff = new Backoff({ ...options.retry, healthyAfterMs: 0 }, options.clock, options.random ?? Math.random);
  }

  get catchingUp(): boolean {
    return this.held !== undefined;
  }

  /**
   * A live event: true when it is held back for the catch-up running now (it is released, or
   * dropped, when the catch-up ends); otherwise its hard state is recorded and it goes on.
   */
  hold(event: IcingaEvent): boolean {
    if (this.held) {
      this.held.push(event);
      return true;
    }
    const hard = hardStateOf(event);
    if (hard) this.options.store.set(hard.object, hard.state);
    return false;
  }

  /**
   * Reads the current states and reports what changed since `downSince` (ms; absent at start,
   * when the gap is the time the relay was stopped). A catch-up asked for while one runs waits
   * for it, then runs. Never rejects.
   */
  run(downSince?: number): Promise<void> {
    // A reconnect's catch-up covers the gap a pending retry would have.
    this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // Live events are held from now on, also while an earlier catch-up finishes.
    this.held ??= [];
    const previous = this.running ?? Promise.resolve();
    const next = previous.then(() => this.catchUp(downSince));
    this.running = next.finally(() => {
      if (this.running === next) this.running = undefined;
    });
    return next;
  }

  /** Ends a catch-up that waits for an answer (held events go on) and a pending retry. */
  stop(): void {
    this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.releaseHeld(new Map());
    this.options.store.flush();
  }

  private async catchUp(downSince: number | undefined): Promise<void> {
    const { store, logger, clock } = this.options;
    const first = !this.caughtUp;
    this.held ??= [];
    let current: CurrentState[];
    try {
      current = await this.options.read();
    } catch (error) {
      if (this.held === undefined) return; // stopped meanwhile
      // Live events go on meanwhile and update the saved states, so the retry reports only the rest.
      const retryInMs = this.retryBackoff.nextDelay();
      logger.warn('cannot read the current states; the gap is reported after a retry', { error, retryInMs });
      this.releaseHeld(new Map());
      this.retryTimer = clock.setTimeout(() => {
        this.retryTimer = undefined;
        void this.run(downSince);
      }, retryInMs);
      return;
    }
    if (this.held === undefined) return; // stopped meanwhile
    this.caughtUp = true;
    this.retryBackoff.connected();
    const reading = new Map(current.map((state) => [state.object, state]));
    // Per object, the newest hard state a held event reports: at least as new as the reading, it wins.
    const newer = new Set<string>();
    for (const event of this.held) {
      const hard = hardStateOf(event);
      const read = hard && reading.get(hard.object);
      if (hard && read && hard.state.since >= read.since) newer.add(hard.object);
    }
    if (first && !store.restored) {
      logger.info('no saved hard states: recorded the current ones, nothing to report', { objects: current.length });
    } else {
      const changes = diffStates(store.states, current).filter((change) => !newer.has(change.object));
      const lead =
        first && downSince === undefined
          ? `While the relay was stopped${store.savedAt === undefined ? '' : ` (${formatGap(clock.now() - store.savedAt)})`}`
          : `While the Icinga2 stream was down${downSince === undefined ? '' : ` (${formatGap(clock.now() - downSince)})`}`;
      this.report(lead, changes);
    }
    store.replace(current, (object) => newer.has(object));
    this.releaseHeld(reading);
  }

  /** One summary per destination, listing the changes routed there. */
  private report(lead: string, changes: readonly StateChange[]): void {
    const timestamp = this.options.clock.now() / 1000;
    const byDestination = new Map<string, StateChange[]>();
    for (const change of changes) {
      // Routed as the hard state change it stands for, so routes on type, host, service and state apply.
      const probe: RelayMessage = {
        eventType: 'StateChange',
        severity: stateSeverity(change.state),
        host: change.host,
        ...(change.service !== undefined && { service: change.service }),
        state: change.state,
        stateType: 'HARD',
        text: `${change.object} ${change.state}`,
        timestamp: change.since,
        fields: { output: change.output },
      };
      for (const destination of this.options.route(probe)) {
        const list = byDestination.get(destination) ?? [];
        list.push(change);
        byDestination.set(destination, list);
      }
    }
    for (const [destination, routed] of byDestination) {
      const list = routed.filter((change) => !this.options.muted?.(destination, change));
      if (list.length === 0) continue;
      const mutedCount = routed.length - list.length;
      const problems = list.filter((change) => change.kind === 'problem').sort(byRank);
      const severity: Severity = problems.length > 0 ? stateSeverity(problems[0].state) : 'ok';
      this.options.submit(destination, {
        eventType: 'CatchUp',
        severity,
        text: summaryText(mutedCount > 0 ? `${lead}, leaving out ${mutedCount} muted` : lead, list, this.options.width),
        timestamp,
        fields: { problems: problems.length, recovered: list.length - problems.length },
      });
    }
    this.options.logger.info('caught up', { changes: changes.length, destinations: byDestination.size });
  }

  /** Held events go on in order, except state reports older than the reading of their object. */
  private releaseHeld(reading: ReadonlyMap<string, CurrentState>): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) {
      const object = eventObject(event);
      const read = object === undefined ? undefined : reading.get(object);
      const stale =
        read !== undefined &&
        (event.type === 'StateChange' || event.type === 'Notification') &&
        typeof event.timestamp === 'number' &&
        event.timestamp < read.since;
      if (stale) {
        this.options.logger.debug('dropped an event older than the catch-up reading', { eventType: event.type, object });
        continue;
      }
      if (!this.hold(event)) this.options.release(event);
    }
  }
}
