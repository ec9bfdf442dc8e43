/**
 * What noise control needs to know about a message: which object it is about, and whether it
 * reports a state change (and which) or the start or end of flapping. Icinga2 reports one state
 * change as a StateChange and as PROBLEM/RECOVERY notifications; these readers treat them alike.
 */
import type { RelayMessage } from '../message.js';

/** `host` or `host!service`, the names Icinga2 and the chat commands use; undefined for messages about no object. */
export function objectOf(message: RelayMessage): string | undefined {
  if (message.host === undefined) return undefined;
  return message.service === undefined ? message.host : `${message.host}!${message.service}`;
}

export interface StateReport {
  object: string;
  state: string;
  /** HARD for notifications: Icinga2 notifies on hard states only. */
  stateType: 'SOFT' | 'HARD';
  recovery: boolean;
  /** The change as dedup compares reports: `CRITICAL HARD`. */
  change: string;
}

const RECOVERED_STATES = new Set(['OK', 'UP']);

/** Whether the message is a StateChange, or a PROBLEM or RECOVERY notification, about an object: what stateReport() describes. */
function reportsState(message: RelayMessage): message is RelayMessage & { host: string; state: string } {
  if (message.host === undefined || message.state === undefined) return false;
  if (message.eventType === 'StateChange') return true;
  const { notificationType } = message;
  return message.eventType === 'Notification' && (notificationType === 'PROBLEM' || notificationType === 'RECOVERY');
}

/** A StateChange, or a PROBLEM or RECOVERY notification; undefined for any other message. */
export function stateReport(message: RelayMessage, object = objectOf(message)): StateReport | undefined {
  if (!reportsState(message)) return undefined;
  const stateType = message.stateType ?? 'HARD';
  return { object: object!, state: message.state, stateType, recovery: RECOVERED_STATES.has(message.state), change: `${message.state} ${stateType}` };
}

/** What every stage of noise control asks of a message, worked out once when it comes in. */
export interface MessageFacts {
  object: string | undefined;
  report: StateReport | undefined;
}

export function factsOf(message: RelayMessage): MessageFacts {
  const object = objectOf(message);
  return { object, report: stateReport(message, object) };
}

/** Whether the message says that flapping starts or ends: a Flapping event or a FLAPPINGSTART/END notification. */
export function flappingChange(message: RelayMessage): 'start' | 'end' | undefined {
  if (message.eventType === 'Flapping') {
    const isFlapping = message.fields.is_flapping;
    return isFlapping === true ? 'start' : isFlapping === false ? 'end' : undefined;
  }
  if (message.eventType !== 'Notification') return undefined;
  const { notificationType } = message;
  return notificationType === 'FLAPPINGSTART' ? 'start' : notificationType === 'FLAPPINGEND' ? 'end' : undefined;
}
