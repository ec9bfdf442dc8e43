/**
 * Shared reading and writing for the formatters. The loose-JSON readers and text cleaning live in
 * src/util/values.ts and the checkable readers in src/icinga/checkables.ts, below every layer that
 * uses them; they are re-exported here so a formatter imports from one place.
 */
import type { IcingaEvent } from '../src/icinga/event-types.js';
import { attachedCheckable, readCheckable, type Checkable, type StateType } from '../src/icinga/checkables.js';
import { type FieldValue, type RelayMessage, type Severity } from '../src/message.js';
import { asBoolean, asLine, asNumber, asRecord, asText, oneLine, truncate } from '../src/util/values.js';
import { humanizeMilliseconds } from './humanize.js';
import type { FormatContext } from './types.js';

export { asBoolean, asLine, asLineList, asNumber, asRecord, asText, checkOutput, firstLine, oneLine, truncate } from '../src/util/values.js';
export {
  currentStateName,
  eventCheckable,
  serviceScaleStateName,
  stateTypeName,
  type Checkable,
  type StateType,
} from '../src/icinga/checkables.js';

// ---------------------------------------------------------------- states

const STATE_SEVERITY: Record<string, Severity> = {
  UP: 'ok',
  OK: 'ok',
  WARNING: 'warning',
  CRITICAL: 'critical',
  DOWN: 'critical',
  UNKNOWN: 'unknown',
};

export function stateSeverity(state: string | undefined): Severity {
  return (state !== undefined && STATE_SEVERITY[state]) || 'unknown';
}

// ---------------------------------------------------------------- text

/** "2 days, 1 hour": the two largest units are what a reader on call takes in at a glance. */
export function humanizeSeconds(seconds: number | undefined): string | undefined {
  if (seconds === undefined || seconds < 0) return undefined;
  return humanizeMilliseconds(seconds * 1000);
}

/** The humanized span from `start` to `end` (seconds), when both are known and in order. */
export function humanizeSpan(start: number | undefined, end: number | undefined): string | undefined {
  return start === undefined || end === undefined ? undefined : humanizeSeconds(end - start);
}

/** Joins the parts that exist, so optional facts leave no stray separators. */
export function joinPresent(parts: (string | undefined)[], separator: string): string {
  // A loop rather than filter and join: no intermediate arrays, and this runs several times per event.
  let joined = '';
  for (const part of parts) {
    if (part === undefined || part === '') continue;
    joined = joined === '' ? part : joined + separator + part;
  }
  return joined;
}

// ---------------------------------------------------------------- building the message

/**
 * A line in three parts: `lead`, then `detail` after `separator` (": " unless given), then
 * `trail`. When the line is too wide, the detail (plugin output, a comment: the free text) is
 * shortened first, so the object in `lead` and the facts in `trail` survive.
 *
 * The parts must be clean already: made only of literals and of what the readers here return
 * (asLine, firstLine, checkable names, state names, humanizeSeconds, numbers): the message text
 * has no control character; test/formatters/malformed.test.ts puts control characters in every
 * field of every event type to hold each formatter to it. Scanning every finished line again
 * cost about a tenth of the formatting time; the backends check each message they deliver
 * instead (withoutControls), which after noise control are far fewer than the events.
 */
export interface LineParts {
  lead: string;
  detail?: string;
  separator?: string;
  trail?: string;
}

function fitLine(parts: LineParts, width: number): string {
  const detail = parts.detail ?? '';
  const lead = detail ? parts.lead + (parts.separator ?? ': ') : parts.lead;
  const trail = parts.trail ?? '';
  const whole = lead + detail + trail;
  if (!(whole.length > width)) return whole;
  const roomForDetail = width - lead.length - trail.length;
  // Below a few characters the detail would be noise; cutting the whole line reads better.
  if (detail.length > 0 && roomForDetail >= 8) return lead + truncate(detail, roomForDetail) + trail;
  return truncate(whole, width);
}

/** What a message says: its line and its type-specific fields. */
export interface MessageBody {
  line: LineParts;
  /**
   * Undefined values are left out. Strings must already be one line (from asLine, firstLine,
   * humanizeSeconds, ...): cleaning them again here cost a scan of every value, a whole plugin
   * output included, per event.
   */
  fields?: Record<string, FieldValue>;
}

/** What routing and noise control read of every message, and the body, worked out when first read. */
export interface MessageSpec {
  severity: Severity;
  target?: Checkable;
  state?: string;
  stateType?: StateType;
  notificationType?: string;
  notice?: string;
  /**
   * Called when the message's text or fields are first read, if ever. In a storm most messages
   * are only counted into a summary and repeats are dropped unseen: reading the plugin output,
   * humanizing durations and fitting the line was over half the formatting time, for text no
   * one saw. Pure like the formatter: it reads only the event and the context.
   */
  body: () => MessageBody;
}

export function eventTypeName(event: IcingaEvent): string {
  return asText(event.type) ?? 'unknown';
}

/** `Icinga2 event Foo for web01!http`: what any event says, and what a failed formatter falls back to. */
export function genericLine(typeName: string, target: Checkable | undefined): LineParts {
  return { lead: joinPresent([`Icinga2 event ${oneLine(typeName)}`, target?.object], ' for ') };
}

/** What a formatter's failure says, as a field value (one line). */
export function failureText(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

interface Rendered {
  text: string;
  fields: Record<string, FieldValue>;
}

/**
 * A formatter's message: the facts routing and noise control read are set at once; text and
 * fields are rendered on first read and kept. Assigning them (a template's text) replaces them.
 * Every fact is an own property, undefined when absent, so that all messages share one shape:
 * added only when present, they made nine shapes on the recorded mix, and noise control's
 * reads of them were megamorphic (about 130 ns more per event).
 */
class FormattedMessage implements RelayMessage {
  readonly eventType: string;
  readonly severity: Severity;
  readonly timestamp: number;
  readonly host: string | undefined;
  readonly service: string | undefined;
  readonly state: string | undefined;
  readonly stateType: StateType | undefined;
  readonly notificationType: string | undefined;
  readonly notice: string | undefined;
  #rendered: Rendered | undefined;
  /** What the body is rendered from; let go once it is. */
  #context: FormatContext | undefined;
  #spec: MessageSpec | undefined;

  constructor(eventType: string, timestamp: number, context: FormatContext, spec: MessageSpec) {
    this.eventType = eventType;
    this.severity = spec.severity;
    this.timestamp = timestamp;
    this.host = spec.target?.host;
    this.service = spec.target?.service;
    this.state = spec.state;
    this.stateType = spec.stateType;
    this.notificationType = spec.notificationType;
    this.notice = spec.notice;
    this.#context = context;
    this.#spec = spec;
  }

  get text(): string {
    return this.#body().text;
  }

  set text(text: string) {
    this.#body().text = text;
  }

  get fields(): Record<string, FieldValue> {
    return this.#body().fields;
  }

  set fields(fields: Record<string, FieldValue>) {
    this.#body().fields = fields;
  }

  #body(): Rendered {
    if (this.#rendered === undefined) {
      this.#rendered = render(this.eventType, this.#context!, this.#spec!);
      // The event (in the body's closure) is needed no longer: a message waiting in a queue should not keep it.
      this.#context = undefined;
      this.#spec = undefined;
    }
    return this.#rendered;
  }
}

/**
 * The body, or, when it throws (a formatter bug), the generic line with the error in
 * `format_error`: a bug there must cost the event's detail, not the event.
 */
function render(typeName: string, context: FormatContext, spec: MessageSpec): Rendered {
  let body: MessageBody;
  let failure: string | undefined;
  try {
    body = spec.body();
  } catch (error) {
    body = { line: genericLine(typeName, spec.target) };
    failure = failureText(error);
  }
  // Built field by field rather than spread and filtered. Checkable names are clean from
  // readCheckable(), and states are names from fixed scales.
  const fields: Record<string, FieldValue> = { type: oneLine(typeName) };
  if (spec.target !== undefined) {
    fields.host = spec.target.host;
    if (spec.target.service !== undefined) fields.service = spec.target.service;
    fields.object = spec.target.object;
  }
  if (spec.state !== undefined) fields.state = spec.state;
  if (spec.stateType !== undefined) fields.state_type = spec.stateType;
  if (spec.notificationType !== undefined) fields.notification_type = spec.notificationType;
  for (const name in body.fields) {
    const value = body.fields[name];
    if (value !== undefined) fields[name] = value;
  }
  if (failure !== undefined) fields.format_error = failure;
  return { text: fitLine(body.line, context.width), fields };
}

export function buildMessage(event: IcingaEvent, context: FormatContext, spec: MessageSpec): RelayMessage {
  return new FormattedMessage(eventTypeName(event), asNumber(event.timestamp) ?? 0, context, spec);
}

// ---------------------------------------------------------------- comments and downtimes

/** Icinga2's comment entry types; user comments are the plain case and go unnamed. */
const COMMENT_KINDS: Record<number, string> = { 2: 'downtime', 3: 'flapping', 4: 'acknowledgement' };

/** A comment or downtime of an event and the checkable it is attached to. */
export interface Attached {
  record: Record<string, unknown>;
  target: Checkable;
}

/** Comment* events carry the whole comment object, Downtime* events the downtime; neither a top-level host or service. */
export function attachedTo(event: IcingaEvent, key: 'comment' | 'downtime'): Attached | undefined {
  const record = asRecord(event[key]);
  const target = record && attachedCheckable(record);
  return record === undefined || target === undefined ? undefined : { record, target };
}

export interface CommentFacts {
  author?: string;
  text?: string;
  kind?: string;
  fields: Record<string, FieldValue>;
}

export function readComment(comment: Record<string, unknown>): CommentFacts {
  const author = asLine(comment.author);
  const text = asLine(comment.text);
  const kind = COMMENT_KINDS[asNumber(comment.entry_type) ?? 0];
  return {
    author,
    text,
    kind,
    fields: { author, comment: text, entry_type: kind ?? 'user', comment_name: asLine(comment.name) },
  };
}

export interface DowntimeFacts {
  author?: string;
  comment?: string;
  fixed?: boolean;
  startTime?: number;
  /** Humanized: `duration` for flexible downtimes, end - start for fixed ones. */
  duration?: string;
  isChild: boolean;
  fields: Record<string, FieldValue>;
}

export function readDowntime(downtime: Record<string, unknown>): DowntimeFacts {
  const author = asLine(downtime.author);
  const comment = asLine(downtime.comment);
  const fixed = asBoolean(downtime.fixed);
  const startTime = asNumber(downtime.start_time);
  const endTime = asNumber(downtime.end_time);
  const duration =
    fixed === false ? humanizeSeconds(asNumber(downtime.duration)) : humanizeSpan(startTime, endTime);
  // all_services and child_options create child downtimes; `parent` names the one they came from.
  const parent = asLine(downtime.parent);
  return {
    author,
    comment,
    fixed,
    startTime,
    duration,
    isChild: parent !== undefined,
    fields: {
      author,
      comment,
      duration,
      fixed,
      start_time: startTime,
      end_time: endTime,
      parent,
      downtime_name: asLine(downtime.name),
    },
  };
}

/**
 * `Downtime started for web01!http (flexible, 2 hours, by alice): backup`: the shared line of
 * downtimes starting, being triggered and ending. Undefined when the event names no checkable.
 */
export function downtimeLine(
  event: IcingaEvent,
  context: FormatContext,
  change: string,
): RelayMessage | undefined {
  const attached = attachedTo(event, 'downtime');
  if (attached === undefined) return undefined;
  const { record, target } = attached;
  return buildMessage(event, context, {
    severity: 'info',
    target,
    body: () => {
      const downtime = readDowntime(record);
      const facts = joinPresent(
        [downtimeKind(downtime), downtime.duration, downtime.author && `by ${downtime.author}`],
        ', ',
      );
      return {
        line: {
          lead: `Downtime ${change} for ${target.object}${facts ? ` (${facts})` : ''}`,
          detail: downtime.comment,
        },
        fields: downtime.fields,
      };
    },
  });
}

/** "flexible", "child", both or neither: fixed downtimes of their own are the plain case. */
export function downtimeKind(downtime: DowntimeFacts): string | undefined {
  const kinds = [downtime.fixed === false ? 'flexible' : undefined, downtime.isChild ? 'child' : undefined];
  return joinPresent(kinds, ' ') || undefined;
}

// ---------------------------------------------------------------- configuration objects

/**
 * Hosts and services are the checkables routing cares about. Other objects' names also start
 * with a host (`web01!http!abc-123` is a downtime), but not in a way one can split safely.
 */
function objectCheckable(objectType: string | undefined, objectName: string): Checkable | undefined {
  if (objectType === 'Host') return readCheckable(objectName, undefined);
  if (objectType !== 'Service') return undefined;
  const separator = objectName.indexOf('!');
  return separator > 0 ? readCheckable(objectName.slice(0, separator), objectName.slice(separator + 1)) : undefined;
}

/** `Icinga2 object created: Downtime web01!http!abc-123`; undefined when the event names no object. */
export function objectLine(event: IcingaEvent, context: FormatContext, change: string): RelayMessage | undefined {
  const objectType = asLine(event.object_type);
  const objectName = asLine(event.object_name);
  if (objectName === undefined) return undefined;
  return buildMessage(event, context, {
    severity: 'info',
    target: objectCheckable(objectType, objectName),
    body: () => ({
      line: { lead: `Icinga2 object ${change}: ${joinPresent([objectType, objectName], ' ')}` },
      fields: { object_type: objectType, object_name: objectName },
    }),
  });
}
