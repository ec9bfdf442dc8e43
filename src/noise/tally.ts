/**
 * Counting what a summary stands for, so that every summary can say what it replaced and the
 * counts add up to the events that came in: a message going out carries the events it covers,
 * counted by state (CRITICAL, DOWN, OK, ...) or, for events without one, by event type.
 */
import { stateSeverity } from '../../formatters/common.js';
import type { RelayMessage, Severity } from '../message.js';

export type Tally = Map<string, number>;

/** A message on its way out, with the events it covers. */
export interface Outgoing {
  message: RelayMessage;
  covers: Tally;
}

export function labelOf(message: RelayMessage): string {
  return message.state ?? message.eventType;
}

export function single(message: RelayMessage): Outgoing {
  return { message, covers: new Map([[labelOf(message), 1]]) };
}

export function addTo(total: Tally, more: Tally): void {
  for (const [label, count] of more) total.set(label, (total.get(label) ?? 0) + count);
}

export function countOf(tally: Tally): number {
  let count = 0;
  for (const value of tally.values()) count += value;
  return count;
}

/** `180 CRITICAL, 32 WARNING`: largest first. */
export function describeTally(tally: Tally): string {
  return [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${count} ${label}`)
    .join(', ');
}

const SEVERITY_RANK: Severity[] = ['ok', 'info', 'warning', 'unknown', 'critical'];

export function moreSevere(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK.indexOf(b) > SEVERITY_RANK.indexOf(a) ? b : a;
}

export function worstSeverity(severities: Iterable<Severity>): Severity {
  let worst: Severity = 'ok';
  for (const severity of severities) worst = moreSevere(worst, severity);
  return worst;
}

/** The severity of a tally's labels: states by their own severity, other events as info. */
export function tallySeverity(tally: Tally): Severity {
  return worstSeverity([...tally.keys()].map((label) => (/^[A-Z]+$/.test(label) ? stateSeverity(label) : 'info')));
}
