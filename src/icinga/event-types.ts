/**
 * Every event stream type Icinga2 2.13 knows. Icinga2 accepts an unknown type silently
 * (200 and an idle stream), so the relay validates types itself.
 */
export const EVENT_TYPES = [
  'CheckResult',
  'StateChange',
  'Notification',
  'Flapping',
  'AcknowledgementSet',
  'AcknowledgementCleared',
  'CommentAdded',
  'CommentRemoved',
  'DowntimeAdded',
  'DowntimeRemoved',
  'DowntimeStarted',
  'DowntimeTriggered',
  'ObjectCreated',
  'ObjectModified',
  'ObjectDeleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Relayed unless the config says otherwise. CheckResult is a firehose (one per check), and the
 * Object* events are configuration churn that also fires for every comment and downtime
 * (CommentAdded, DowntimeAdded, ... already say those in words), so they are off unless asked for.
 */
export const DEFAULT_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter(
  (type) => type !== 'CheckResult' && !type.startsWith('Object'),
);

export function isEventType(name: string): name is EventType {
  return (EVENT_TYPES as readonly string[]).includes(name);
}

/** One parsed line of the stream. Only `type` is guaranteed, and only because the parser checks it. */
export interface IcingaEvent {
  type: string;
  timestamp?: number;
  [key: string]: unknown;
}

export type ParsedLine = { event: IcingaEvent; problem?: undefined } | { event?: undefined; problem: string };

/** One line of the stream as an event, or what is wrong with it. The only place lines are parsed. */
export function parseEventLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not valid JSON' };
  }
  return asEvent(value);
}

/** A parsed JSON value as an event, or what is wrong with it. */
export function asEvent(value: unknown): ParsedLine {
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    return { problem: 'not an Icinga2 event (no "type")' };
  }
  return { event: value as IcingaEvent };
}
