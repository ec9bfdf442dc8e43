/**
 * The structured message every formatter returns and every chat backend renders in its own idiom.
 * A formatter's message works out its text and fields when they are first read (see
 * buildMessage): routing and noise control read only the other properties.
 */

export type Severity = 'ok' | 'info' | 'warning' | 'critical' | 'unknown';

/** What a message is to one problem in its destination (see src/problems/book.ts). */
export interface ProblemLink {
  /** The problem's reference, `#42`. */
  ref: number;
  object: string;
  role: 'opened' | 'update' | 'recovered';
  /** When the problem's first report was relayed (ms). */
  openedAt: number;
  /** The chat message that started the problem in this destination, once known (a Slack `ts`). */
  rootId?: string;
  /** That message's plain text, when it was about this object alone (so it may be edited to the problem's state). */
  rootText?: string;
  /** The object in Icinga Web, when the web section is configured. */
  url?: string;
  /** For a message that opens the problem: the backend tells what the message is called there (a Slack `ts`) and its text. */
  onRoot?: (rootId: string, rootText: string | undefined) => void;
}

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
  /** PROBLEM, RECOVERY, ACKNOWLEDGEMENT, ...: for notifications, also in `fields`; noise control reads it of every message. */
  notificationType?: string;
  /**
   * Notifications: who wrote what (`alice: rebooting`), when they carry an author or text
   * (acknowledgement, custom, downtime). Icinga2's copies for each set of users share it; dedup
   * tells one notice from the next by it.
   */
  notice?: string;
  /**
   * The objects (`host`, `host!service`) a summary names in its text, for a line that stands for
   * several events (a storm line); absent on messages about one object or none.
   */
  objects?: readonly string[];
  /**
   * The problems (src/problems/book.ts) this message opens, updates or ends in the destination it
   * is on its way to; set on delivery, absent on plain messages.
   */
  problems?: readonly ProblemLink[];
  /**
   * Who to call (route.mention): set on the first message of a problem only. The relay's only
   * way to ping anyone; text from Icinga2 never can. See highlightPrefix and Slack's renderer.
   */
  mentions?: readonly string[];
  /** Named facts of the event, for templates and routing: author, comment, output, duration, ... */
  fields: Record<string, FieldValue>;
}

/** C0 (IRC's colour codes too) and C1 controls, DEL, the Unicode line and paragraph separators: what a chat protocol or a terminal might act on. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const HAS_CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Text with every run of control characters replaced by one space. The formatters make clean
 * text already (test/formatters/malformed.test.ts holds them to it); the backends apply this to
 * every message they deliver all the same, so no text from anywhere reaches a room or a terminal
 * with a control character in it.
 */
export function withoutControls(text: string): string {
  return HAS_CONTROL_CHARACTER.test(text) ? text.replace(CONTROL_CHARACTERS, ' ') : text;
}

/** Mentions Slack understands: user IDs and user groups; the other entries are nicks. */
export const SLACK_MENTION = /^([UW][A-Z0-9]{2,}|<!subteam\^[A-Z0-9]+>)$/;

/** `alice, bob: ` for the nicks among the message's mentions (an IRC or XMPP highlight), or nothing. */
export function highlightPrefix(message: RelayMessage): string {
  const nicks = (message.mentions ?? []).filter((mention) => !SLACK_MENTION.test(mention));
  return nicks.length === 0 ? '' : `${nicks.join(', ')}: `;
}
