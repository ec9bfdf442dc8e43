/**
 * Per-event-type templates that replace the formatter's text: `{state} {object}: {output}`.
 * `{name}` is a message field (documented at the top of formatters/index.ts), `{{` and `}}` are
 * literal braces. A field the event does not carry renders as nothing. The result gets the same
 * cleaning and width cut as formatter text, because field values are Icinga2's free text.
 */
import { oneLine, truncate } from './util/values.js';
import type { EventType } from './icinga/event-types.js';
import type { RelayMessage } from './message.js';

const CHECKABLE = ['type', 'host', 'service', 'object'];
const STATE = ['state', 'state_type'];
const COMMENT = ['author', 'comment', 'entry_type', 'comment_name'];
const DOWNTIME = ['author', 'comment', 'duration', 'fixed', 'start_time', 'end_time', 'parent', 'downtime_name'];

/** The fields each event type's formatter can set; test/routing/templates.test.ts checks them against the fixtures. */
export const TEMPLATE_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  CheckResult: [...CHECKABLE, ...STATE, 'output', 'check_source'],
  StateChange: [...CHECKABLE, ...STATE, 'output', 'previous_state', 'duration'],
  Notification: [...CHECKABLE, ...STATE, 'notification_type', 'output', 'author', 'comment', 'users'],
  Flapping: [...CHECKABLE, ...STATE, 'is_flapping', 'flapping_current', 'threshold_low', 'threshold_high'],
  AcknowledgementSet: [...CHECKABLE, ...STATE, 'author', 'comment', 'acknowledgement_type', 'expiry', 'expires_in', 'notify'],
  AcknowledgementCleared: [...CHECKABLE, ...STATE],
  CommentAdded: [...CHECKABLE, ...COMMENT],
  CommentRemoved: [...CHECKABLE, ...COMMENT],
  DowntimeAdded: [...CHECKABLE, ...DOWNTIME, 'starts_in'],
  DowntimeRemoved: [...CHECKABLE, ...DOWNTIME],
  DowntimeStarted: [...CHECKABLE, ...DOWNTIME],
  DowntimeTriggered: [...CHECKABLE, ...DOWNTIME],
  ObjectCreated: [...CHECKABLE, 'object_type', 'object_name'],
  ObjectModified: [...CHECKABLE, 'object_type', 'object_name'],
  ObjectDeleted: [...CHECKABLE, 'object_type', 'object_name'],
};

/** Literal text and field names, alternating: text, field, text, ..., text. */
export type Template = readonly string[];

/** By event type. */
export type Templates = ReadonlyMap<string, Template>;

const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/** The template, or what is wrong with it: each problem reads "expected ... but found ...". */
export function parseTemplate(source: string, type: EventType): { template: Template; problems: string[] } {
  const allowed = TEMPLATE_FIELDS[type];
  const template: string[] = [];
  const problems: string[] = [];
  let text = '';
  let last = 0;
  for (const token of source.matchAll(TOKEN)) {
    text += source.slice(last, token.index);
    last = token.index + token[0].length;
    if (token[0] === '{{' || token[0] === '}}') {
      text += token[0][0];
    } else if (token[1] === undefined) {
      problems.push(`expected {field} with braces in pairs ({{ and }} for literal ones) but found a lone "${token[0]}"`);
    } else if (!allowed.includes(token[1])) {
      problems.push(`expected fields of ${type} events (${allowed.join(', ')}) but found {${token[1]}}`);
    } else {
      template.push(text, token[1]);
      text = '';
    }
  }
  template.push(text + source.slice(last));
  return { template, problems };
}

export function renderTemplate(template: Template, message: RelayMessage, width: number): string {
  let text = template[0];
  for (let index = 1; index < template.length; index += 2) {
    text += String(message.fields[template[index]] ?? '') + template[index + 1];
  }
  return truncate(oneLine(text), width);
}
