/**
 * Storm grouping for one destination. The first message after a quiet spell goes out at once
 * and opens a window; what arrives while it is open is grouped when it closes, and the next
 * window opens, until one closes empty. So a lone alert waits at most one window, and an outage
 * becomes a few lines per window: per host (`db01: 14 services CRITICAL: disk, load, ...`) and
 * across hosts (`37 hosts DOWN: web01, web02, ...`), recoveries alike.
 */
import { truncate } from '../../formatters/common.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { RelayMessage } from '../message.js';
import { objectOf, reportsState } from './reports.js';
import { addTo, single, worstSeverity, type Outgoing, type Tally } from './tally.js';

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
function kindOf(message: RelayMessage): string {
  if (reportsState(message)) return kindName('state', message.state);
  const notificationType = message.fields.notification_type;
  return kindName(message.eventType, notificationType === undefined ? undefined : String(notificationType));
}

/** Fields of a slim message that is no notification: shared, never changed. */
const NO_FIELDS: RelayMessage['fields'] = Object.freeze({});

/**
 * What grouping reads of a message whose kind is grouped in this window: its text and other
 * fields are never shown, so a storm of 50,000 events does not hold 50,000 texts for a second.
 * A class, so that every slim message has one shape.
 */
class SlimMessage implements RelayMessage {
  readonly eventType: string;
  readonly severity: RelayMessage['severity'];
  readonly host: string | undefined;
  readonly service: string | undefined;
  readonly state: string | undefined;
  readonly stateType: RelayMessage['stateType'];
  readonly timestamp: number;
  readonly text = '';
  readonly fields: RelayMessage['fields'];

  constructor(message: RelayMessage) {
    this.eventType = message.eventType;
    this.severity = message.severity;
    this.host = message.host;
    this.service = message.service;
    this.state = message.state;
    this.stateType = message.stateType;
    this.timestamp = message.timestamp;
    const notificationType = message.fields.notification_type;
    this.fields = notificationType === undefined ? NO_FIELDS : { notification_type: notificationType };
  }
}

/** What to call a group of non-state messages: `DOWNTIMESTART notifications`, `DowntimeAdded events`. */
function eventsLabel(message: RelayMessage): string {
  const notificationType = message.fields.notification_type;
  return notificationType === undefined ? `${message.eventType} events` : `${String(notificationType)} notifications`;
}

/** The messages waiting in a window, in arrival order, and the kind of each. */
interface Waiting {
  messages: RelayMessage[];
  kinds: string[];
}

export class StormGrouper {
  private waiting: Waiting = { messages: [], kinds: [] };
  /** How many of each kind wait: from `groupFrom` on, a kind's messages are kept slim. */
  private kindCounts = new Map<string, number>();
  private window: TimerHandle | undefined;

  constructor(
    private readonly settings: StormSettings,
    /** Longest message text (format.width). */
    private readonly width: number,
    private readonly clock: Clock,
    private readonly emit: (outgoing: Outgoing) => void,
  ) {}

  add(message: RelayMessage): void {
    if (this.window === undefined) {
      this.emit(single(message));
      this.openWindow();
    } else {
      this.wait(message);
    }
  }

  private wait(message: RelayMessage): void {
    const kind = kindOf(message);
    const count = (this.kindCounts.get(kind) ?? 0) + 1;
    this.kindCounts.set(kind, count);
    if (count === this.settings.groupFrom) {
      // Grouped now, whatever else comes: what waits of this kind is slimmed once, the rest on arrival.
      const { messages, kinds } = this.waiting;
      for (let i = 0; i < kinds.length; i++) if (kinds[i] === kind) messages[i] = new SlimMessage(messages[i]);
    }
    this.waiting.messages.push(count >= this.settings.groupFrom ? new SlimMessage(message) : message);
    this.waiting.kinds.push(kind);
  }

  /** Empties the window: what waited in it, in arrival order. */
  private takeWaiting(): Waiting {
    const waiting = this.waiting;
    this.waiting = { messages: [], kinds: [] };
    this.kindCounts = new Map();
    return waiting;
  }

  /** Ends the window now: what waited in it goes out (grouped as usual) and no new window opens. */
  flush(): void {
    this.clock.clearTimeout(this.window);
    this.window = undefined;
    for (const outgoing of this.group(this.takeWaiting())) this.emit(outgoing);
  }

  /** Ends the window; answers the events that were waiting in it, which are not sent. */
  close(): Tally {
    this.clock.clearTimeout(this.window);
    this.window = undefined;
    const waiting: Tally = new Map();
    for (const message of this.takeWaiting().messages) addTo(waiting, single(message).covers);
    return waiting;
  }

  private openWindow(): void {
    this.window = this.clock.setTimeout(() => this.windowClosed(), this.settings.windowMs);
  }

  private windowClosed(): void {
    this.window = undefined;
    if (this.waiting.messages.length === 0) return;
    for (const outgoing of this.group(this.takeWaiting())) this.emit(outgoing);
    this.openWindow();
  }

  /** Each kind's lines go out where its first message stood, so single messages keep their order. */
  private group({ messages, kinds }: Waiting): Outgoing[] {
    const byKind = new Map<string, RelayMessage[]>();
    for (let i = 0; i < messages.length; i++) {
      const list = byKind.get(kinds[i]);
      if (list) list.push(messages[i]);
      else byKind.set(kinds[i], [messages[i]]);
    }
    const out: Outgoing[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      const list = byKind.get(kinds[i])!;
      if (list.length < this.settings.groupFrom) out.push(single(message));
      else if (message !== list[0]) continue;
      else if (reportsState(message)) out.push(...this.groupStates(list));
      else out.push(this.summary(list, `${list.length} ${eventsLabel(message)}`, list.map(objectOf), message.eventType));
    }
    return out;
  }

  /** Messages that all report one state: host objects in one line, services per host or across hosts. */
  private groupStates(list: RelayMessage[]): Outgoing[] {
    const state = list[0].state!;
    const hostObjects = list.filter((message) => message.service === undefined);
    const byHost = new Map<string, RelayMessage[]>();
    for (const message of list) {
      if (message.service === undefined) continue;
      const services = byHost.get(message.host!);
      if (services) services.push(message);
      else byHost.set(message.host!, [message]);
    }
    const out: Outgoing[] = [];
    if (hostObjects.length === 1) out.push(single(hostObjects[0]));
    if (hostObjects.length > 1) out.push(this.summary(hostObjects, `${plural(hostObjects.length, 'host')} ${state}`, hostObjects.map((m) => m.host), state));
    if (byHost.size > this.settings.hostLines) {
      const services = [...byHost.values()].flat();
      const hosts = [...byHost].sort((a, b) => b[1].length - a[1].length);
      const names = hosts.map(([host, list]) => (list.length === 1 ? objectOf(list[0]) : `${host} (${list.length})`));
      out.push(this.summary(services, `${plural(services.length, 'service')} ${state} on ${byHost.size} hosts`, names, state));
      return out;
    }
    for (const [host, services] of byHost) {
      if (services.length === 1) out.push(single(services[0]));
      else out.push(this.summary(services, `${host}: ${plural(services.length, 'service')} ${state}`, services.map((m) => m.service), state, host));
    }
    return out;
  }

  /** One line standing for `list`: `lead: names`, counted under `label` (their state or event type). */
  private summary(list: RelayMessage[], lead: string, names: (string | undefined)[], label: string, host?: string): Outgoing {
    const first = list[0];
    const known = [...new Set(names.filter((name): name is string => name !== undefined))];
    const message: RelayMessage = {
      eventType: 'Relay',
      severity: worstSeverity(list.map((m) => m.severity)),
      text: truncate(known.length > 0 ? `${lead}: ${listNames(known, this.settings.names)}` : lead, this.width),
      timestamp: list[list.length - 1].timestamp,
      fields: { noise: 'storm', count: list.length, label },
    };
    if (host !== undefined) message.host = host;
    if (label === first.state) message.state = label;
    return { message, covers: new Map([[label, list.length]]) };
  }
}
