/** The structured message every formatter returns and every chat backend renders in its own idiom. */

export type Severity = 'ok' | 'info' | 'warning' | 'critical' | 'unknown';

export type FieldValue = string | number | boolean | undefined;

export interface RelayMessage {
  /** Icinga2 event type (StateChange, DowntimeAdded, ...), or "Relay" for the relay's own notices. */
  eventType: string;
  severity: Severity;
  host?: string;
  service?: string;
  /** One line of plain text: never contains a newline or other control characters. */
  text: string;
  /** When Icinga2 emitted the event, in seconds since the epoch (Icinga2's own unit). */
  timestamp: number;
  /** UP/DOWN for hosts, OK/WARNING/CRITICAL/UNKNOWN for services, when the event carries a state. */
  state?: string;
  stateType?: 'SOFT' | 'HARD';
  /** Named facts of the event, for templates and routing: author, comment, output, duration, ... */
  fields: Record<string, FieldValue>;
}
