/**
 * Storm grouping for one destination. The first message after a quiet spell goes out at once
 * and opens a window; what arrives while it is open is grouped when it closes, and the next
 * window opens, until one closes empty. So a lone alert waits at most one window, and an outage
 * becomes a few lines per window: per host (`db01: 14 services CRITICAL: disk, load, ...`) and
 * across hosts (`37 hosts DOWN: web01, web02, ...`), recoveries alike.
 */
import { truncate } from '../util/values.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { RelayMessage, Severity } from '../message.js';
import { objectOf, type MessageFacts } from './reports.js';
import { addTo, moreSevere, single, type Outgoing, type Tally } from './tally.js';

export interface StormSettings {
  windowMs: number;
  /** A window's messages of one kind (one state, one event type) are grouped from this many on; fewer go out one by one. */
  groupFrom: number;
  /** Names listed in a summary before "... and N more". */
  names: number;
  /** Most per-host lines for one state in a window; with more hosts, one line covers them all. */
  hostLines: number;
}

/** `a, b, c, ... and 9 more`. */
function listNames(names: readonly string[], shown: number): string {
  const rest = names.length - shown;
  return rest > 0 ? `${names.slice(0, shown).join(', ')}, ... and ${rest} more` : names.join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Kind names by their two parts, each made once: a storm asks for the kind of every message. */
const kindNames = new Map<string, Map<string, string>>();

function kindName(first: string, second: string | undefined): string {
  let bySecond = kindNames.get(first);
  if (!bySecond) kindNames.set(first, (bySecond = new Map()));
  const key = second ?? '';
  let name = bySecond.get(key);
  if (name === undefined) bySecond.set(key, (name = second === undefined ? first : `${first} ${second}`));
  return name;
}

/** Messages of one kind, in arrival order: one state (problems and recoveries alike), or one event type. */
function kindOf(message: RelayMessage, { report }: MessageFacts): string {
  if (report) return kindName('state', report.state);
  return kindName(message.eventType, message.notificationType);
}

/** What to call a group of non-state messages: `DOWNTIMESTART notifications`, `DowntimeAdded events`. */
function eventsLabel(message: RelayMessage): string {
  const { notificationType } = message;
  return notificationType === undefined ? `${message.eventType} events` : `${notificationType} notifications`;
}

/**
 * What a summary line needs of the messages it stands for, added up as they arrive: a storm of
 * 50,000 events holds a count and the names, not 50,000 messages. The first message is kept
 * while it is the only one, because a group of one goes out as that message, its text and all.
 */
class Sum {
  count = 0;
  severity: Severity = 'ok';
  /** The latest message's. */
  timestamp = 0;
  /** In order of arrival, each once. */
  readonly names = new Set<string>();
  only: RelayMessage | undefined;

  add(message: RelayMessage, name: string | undefined): void {
    this.only = this.count === 0 ? message : undefined;
    this.count++;
    this.severity = moreSevere(this.severity, message.severity);
    this.timestamp = message.timestamp;
    if (name !== undefined) this.names.add(name);
  }
}

/** One kind's messages in a window from the moment the kind is grouped: its summary lines, added up. */
abstract class Group {
  /** `object`: the message's, as objectOf() names it. */
  abstract add(message: RelayMessage, object: string | undefined): void;
  abstract lines(): Outgoing[];
  /** The events it stands for, as they are counted: by state, or by event type. */
  abstract readonly label: string;
  abstract readonly count: number;

  constructor(protected readonly storm: StormSettings & { width: number }) {}

  /** One line standing for the messages of `sum`: `lead: names`, counted under `label`. */
  protected summary(sum: Sum, lead: string, names: Iterable<string>, state?: string, host?: string, objectOfName: (name: string) => string | undefined = (name) => name): Outgoing {
    const known = [...names];
    const text = truncate(known.length > 0 ? `${lead}: ${listNames(known, this.storm.names)}` : lead, this.storm.width);
    // The objects the text names (problems key on them): those listed, and not cut off by the width.
    const objects: string[] = [];
    let at = lead.length;
    for (const name of known.slice(0, this.storm.names)) {
      at = text.indexOf(name, at);
      if (at < 0) break;
      at += name.length;
      const object = objectOfName(name);
      if (object !== undefined) objects.push(object);
    }
    const message: RelayMessage = {
      eventType: 'Relay',
      severity: sum.severity,
      text,
      timestamp: sum.timestamp,
      objects,
      fields: { noise: 'storm', count: sum.count, label: this.label },
    };
    if (host !== undefined) message.host = host;
    if (state !== undefined) message.state = state;
    return { message, covers: new Map([[this.label, sum.count]]) };
  }
}

/** Messages of one event type (and notification type): one line naming their objects. */
class EventGroup extends Group {
  readonly label: string;
  private readonly sum = new Sum();
  private readonly lead: string;

  constructor(storm: StormSettings & { width: number }, first: RelayMessage) {
    super(storm);
    this.label = first.eventType;
    this.lead = eventsLabel(first);
  }

  get count(): number {
    return this.sum.count;
  }

  add(message: RelayMessage, object: string | undefined): void {
    this.sum.add(message, object);
  }

  lines(): Outgoing[] {
    return [this.summary(this.sum, `${this.sum.count} ${this.lead}`, this.sum.names)];
  }
}

/** Messages that all report one state: host objects in one line, services per host or across hosts. */
class StateGroup extends Group {
  private readonly hosts = new Sum();
  private readonly services = new Sum();
  private readonly servicesByHost = new Map<string, Sum>();

  constructor(
    storm: StormSettings & { width: number },
    readonly label: string,
  ) {
    super(storm);
  }

  get count(): number {
    return this.hosts.count + this.services.count;
  }

  add(message: RelayMessage): void {
    const host = message.host!;
    if (message.service === undefined) {
      this.hosts.add(message, host);
      return;
    }
    this.services.add(message, undefined);
    let sum = this.servicesByHost.get(host);
    if (!sum) this.servicesByHost.set(host, (sum = new Sum()));
    sum.add(message, message.service);
  }

  lines(): Outgoing[] {
    const { hosts, services, servicesByHost, label: state } = this;
    const out: Outgoing[] = [];
    if (hosts.only) out.push(single(hosts.only));
    else if (hosts.count > 1) out.push(this.summary(hosts, `${plural(hosts.count, 'host')} ${state}`, hosts.names, state));
    if (servicesByHost.size > this.storm.hostLines) {
      const byCount = [...servicesByHost].sort((a, b) => b[1].count - a[1].count);
      const names = byCount.map(([host, sum]) => (sum.only ? objectOf(sum.only)! : `${host} (${sum.count})`));
      const lead = `${plural(services.count, 'service')} ${state} on ${servicesByHost.size} hosts`;
      // `web01 (3)` names a host's count, not an object.
      out.push(this.summary(services, lead, names, state, undefined, (name) => (name.includes('!') ? name : undefined)));
      return out;
    }
    for (const [host, sum] of servicesByHost) {
      if (sum.only) out.push(single(sum.only));
      else out.push(this.summary(sum, `${host}: ${plural(sum.count, 'service')} ${state}`, sum.names, state, host, (service) => `${host}!${service}`));
    }
    return out;
  }
}

/** A kind's messages in the window: whole while fewer than `groupFrom`, then its group. */
interface KindWaiting {
  messages: RelayMessage[];
  /** Where each of `messages` stands in the window. */
  positions: number[];
  group?: Group;
}

/**
 * The window, in arrival order: single messages, and each grouped kind's group where its first
 * message stood (the places of its later messages are left empty), so single messages keep
 * their order around the summaries.
 */
interface Window {
  entries: (RelayMessage | Group | undefined)[];
  kinds: Map<string, KindWaiting>;
}

const emptyWindow = (): Window => ({ entries: [], kinds: new Map() });

export class StormGrouper {
  private waiting = emptyWindow();
  private window: TimerHandle | undefined;
  private readonly groupSettings: StormSettings & { width: number };

  constructor(
    private readonly settings: StormSettings,
    /** Longest message text (format.width). */
    width: number,
    private readonly clock: Clock,
    private readonly emit: (outgoing: Outgoing) => void,
  ) {
    this.groupSettings = { ...settings, width };
  }

  add(message: RelayMessage, facts: MessageFacts): void {
    if (this.window === undefined) {
      this.emit(single(message));
      this.openWindow();
    } else {
      this.wait(message, facts);
    }
  }

  private wait(message: RelayMessage, facts: MessageFacts): void {
    const { entries, kinds } = this.waiting;
    const kind = kindOf(message, facts);
    let waiting = kinds.get(kind);
    if (!waiting) kinds.set(kind, (waiting = { messages: [], positions: [] }));
    if (waiting.group) {
      waiting.group.add(message, facts.object);
      return;
    }
    if (waiting.messages.length + 1 < this.settings.groupFrom) {
      waiting.positions.push(entries.length);
      waiting.messages.push(message);
      entries.push(message);
      return;
    }
    // Grouped now, whatever else comes: the group takes the place of the kind's first message.
    const group = facts.report ? new StateGroup(this.groupSettings, facts.report.state) : new EventGroup(this.groupSettings, message);
    for (const earlier of waiting.messages) group.add(earlier, objectOf(earlier));
    group.add(message, facts.object);
    const [first = entries.length, ...later] = waiting.positions;
    for (const position of later) entries[position] = undefined;
    if (first === entries.length) entries.push(group);
    else entries[first] = group;
    waiting.group = group;
    waiting.messages = [];
    waiting.positions = [];
  }

  /** Whether events wait in the window for its summary. */
  get holding(): boolean {
    return this.waiting.entries.length > 0;
  }

  /** Empties the window: what waited in it, in arrival order. */
  private takeWaiting(): Window {
    const waiting = this.waiting;
    this.waiting = emptyWindow();
    return waiting;
  }

  /** Ends the window now: what waited in it goes out (grouped as usual) and no new window opens. */
  flush(): void {
    this.clock.clearTimeout(this.window);
    this.window = undefined;
    for (const outgoing of this.lines(this.takeWaiting())) this.emit(outgoing);
  }

  /** Ends the window; answers the events that were waiting in it, which are not sent. */
  close(): Tally {
    this.clock.clearTimeout(this.window);
    this.window = undefined;
    const waiting: Tally = new Map();
    for (const entry of this.takeWaiting().entries) {
      if (entry instanceof Group) addTo(waiting, new Map([[entry.label, entry.count]]));
      else if (entry) addTo(waiting, single(entry).covers);
    }
    return waiting;
  }

  private openWindow(): void {
    this.window = this.clock.setTimeout(() => this.windowClosed(), this.settings.windowMs);
  }

  private windowClosed(): void {
    this.window = undefined;
    if (this.waiting.entries.length === 0) return;
    for (const outgoing of this.lines(this.takeWaiting())) this.emit(outgoing);
    this.openWindow();
  }

  private lines({ entries }: Window): Outgoing[] {
    const out: Outgoing[] = [];
    for (const entry of entries) {
      if (entry instanceof Group) out.push(...entry.lines());
      else if (entry) out.push(single(entry));
    }
    return out;
  }
}
