/**
 * Shared reading and writing for the formatters. Every reader here accepts any JSON value and
 * returns undefined for what it cannot use, so formatters never throw on odd events.
 */
import type { IcingaEvent } from '../src/icinga/event-types.js';
import { withoutControls, type FieldValue, type RelayMessage, type Severity } from '../src/message.js';
import { humanizeMilliseconds } from './humanize.js';
import type { FormatContext } from './types.js';

// ---------------------------------------------------------------- reading loose JSON

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A string, or a number/boolean spelled as one; empty strings count as absent. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** The non-empty items of an array as lines; anything else gives an empty list. */
export function asLineList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(asLine).filter((item): item is string => item !== undefined);
}

// ---------------------------------------------------------------- hosts and services

/** A host or a service: Icinga2 calls both "checkables". `object` is `host` or `host!service`. */
export interface Checkable {
  host: string;
  service?: string;
  object: string;
}

function checkable(host: unknown, service: unknown): Checkable | undefined {
  const hostName = asLine(host);
  if (hostName === undefined) return undefined;
  const serviceName = asLine(service);
  return serviceName === undefined
    ? { host: hostName, object: hostName }
    : { host: hostName, service: serviceName, object: `${hostName}!${serviceName}` };
}

/** Checkable events carry top-level `host` and, for services only, `service`. */
export function eventCheckable(event: IcingaEvent): Checkable | undefined {
  return checkable(event.host, event.service);
}

/** Comments and downtimes name their checkable as `host_name` and `service_name` ("" for hosts). */
function attachedCheckable(attachment: Record<string, unknown>): Checkable | undefined {
  return checkable(attachment.host_name, attachment.service_name);
}

// ---------------------------------------------------------------- states

const HOST_STATES = ['UP', 'DOWN'];
const SERVICE_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

function stateOnScale(scale: string[], state: unknown): string | undefined {
  const index = asNumber(state);
  return index === undefined ? undefined : scale[index];
}

/**
 * Names a state from the service scale (0..3), which check results use even for hosts:
 * Icinga2 counts OK and WARNING as UP, CRITICAL and UNKNOWN as DOWN.
 */
export function serviceScaleStateName(state: unknown, isHost: boolean): string | undefined {
  const name = stateOnScale(SERVICE_STATES, state);
  if (name === undefined || !isHost) return name;
  return name === 'OK' || name === 'WARNING' ? 'UP' : 'DOWN';
}

/**
 * The checkable's current state: the top-level `state` (host scale for hosts) when the event
 * has one, else its check result's state.
 */
export function currentStateName(event: IcingaEvent, target: Checkable): string | undefined {
  const isHost = target.service === undefined;
  if (event.state !== undefined) return stateOnScale(isHost ? HOST_STATES : SERVICE_STATES, event.state);
  return serviceScaleStateName(asRecord(event.check_result)?.state, isHost);
}

export type StateType = 'SOFT' | 'HARD';

export function stateTypeName(stateType: unknown): StateType | undefined {
  if (stateType === 0) return 'SOFT';
  if (stateType === 1) return 'HARD';
  return undefined;
}

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

// \v, \f, NEL and the Unicode separators break lines in some clients as surely as \n does.
// Global so that firstLine can start the search where it wants (lastIndex).
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * What only the full cleaning fixes: a control character (line breaks included) or a double
 * space. Most event text has neither, and this one test is far cheaper than the split, replace
 * and join (text cleaning was the formatters' hot spot in profiles). Control characters first:
 * that order scans plain text about a third faster.
 */
const NEEDS_CLEANING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]| {2}/;
const SPACE = 0x20;

function cleanLine(line: string): string {
  return withoutControls(line).replace(/ {2,}/g, ' ').trim();
}

function nonEmptyLines(text: string): string[] {
  return text.split(LINE_BREAK).map(cleanLine).filter((line) => line !== '');
}

/** Text that needs no cleaning but maybe trimming: plugin output often ends in a space. */
function withoutEdgeSpaces(text: string): string {
  // Two lookups at the edges cost less than a regex scanning to the end of a long output for them.
  return text.charCodeAt(0) === SPACE || text.charCodeAt(text.length - 1) === SPACE ? text.trim() : text;
}

/** Free text as one line: its lines joined with " / ", no control characters left. */
export function oneLine(text: string): string {
  return NEEDS_CLEANING.test(text) ? nonEmptyLines(text).join(' / ') : withoutEdgeSpaces(text);
}

/** A name or short text from the event, made one line; undefined when there is nothing to show. */
export function asLine(value: unknown): string | undefined {
  const text = asText(value);
  return text === undefined ? undefined : oneLine(text) || undefined;
}

/** The first line of a check result's plugin output; '' when there is none. */
export function checkOutput(checkResult: unknown): string {
  return firstLine(asText(asRecord(checkResult)?.output) ?? '');
}

/** The first line with any content, cleaned: plugins put the summary there, details below. */
export function firstLine(text: string): string {
  // Plugin output can run to megabytes; only the lines up to the first with content matter.
  // Line breaks need cleaning, so none comes before the first character that does: the search
  // for the line break starts there, and a clean first line is scanned once, not twice.
  const firstToClean = text.search(NEEDS_CLEANING);
  if (firstToClean === -1) return withoutEdgeSpaces(text);
  LINE_BREAK.lastIndex = firstToClean;
  const lineBreak = LINE_BREAK.exec(text);
  const end = lineBreak ? lineBreak.index : text.length;
  const line = text.slice(0, end);
  const head = end === firstToClean ? withoutEdgeSpaces(line) : oneLine(line);
  return head !== '' || !lineBreak ? head : firstLine(text.slice(end + lineBreak[0].length));
}

const ELLIPSIS = '…';

/** Cuts text to at most `width` UTF-16 units, ending in an ellipsis, never halving a surrogate pair. */
export function truncate(text: string, width: number): string {
  if (!(text.length > width)) return text;
  if (width < 1) return '';
  let cut = Math.floor(width) - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}

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
  // checkable(), and states are names from fixed scales.
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
  if (objectType === 'Host') return checkable(objectName, undefined);
  if (objectType !== 'Service') return undefined;
  const separator = objectName.indexOf('!');
  return separator > 0 ? checkable(objectName.slice(0, separator), objectName.slice(separator + 1)) : undefined;
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
