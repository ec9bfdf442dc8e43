/**
 * The one interface every chat backend implements. The relay knows nothing else about a
 * backend; adding one means a folder in src/chat/ and a line in src/chat/registry.ts (README: Adding a backend).
 */
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';

/** Someone wrote to the relay. `identity` is what permissions key on; absent when the backend cannot vouch for the sender. */
export interface IncomingMessage {
  /** `backend:target` where the message was written, e.g. `irc:#ops`, or `console`. */
  destination: string;
  text: string;
  /** True for a direct/1:1 message, false in a channel or room. */
  direct: boolean;
  sender: {
    /** Trustworthy identity such as `irc:alice` (services account) or `console`; undefined when unknown. */
    identity?: string;
    /**
     * Looks the identity up when the message does not carry it (IRC without account-tag: WHOIS).
     * Called only for a line the relay acts on, after the sender's rate budget was charged, so that
     * chatter and floods cost no lookups.
     */
    identify?: () => Promise<string | undefined>;
    /**
     * What the sender's rate budget is charged to while the identity is not known yet: something the
     * sender cannot change as cheaply as a nick (IRC: user@host). Without it, and without identity,
     * every unidentified sender of the backend shares one budget.
     */
    rateKey?: string;
    /** What to call the sender in replies: a nick, a display name. Never used for permissions. */
    displayName: string;
    /**
     * A bot or integration, as far as the backend can tell. Bots never run a command that changes
     * Icinga2, whatever identity they carry; a backend that can tell them apart drops their
     * messages (Slack) or marks them here.
     */
    bot?: boolean;
  };
}

/**
 * Lines stamped this much before the relay connected, by the relay's own clock, are history (a
 * replay, a redelivery after a reconnect) and never commands: the chat server's clock may differ a little.
 */
export const REPLAY_SKEW_MS = 5_000;

export interface ChatBackend {
  /** The backend's name, the part of a destination before the colon. */
  readonly name: string;
  /** The destinations (`backend:target`) this backend serves, from its config. */
  readonly destinations: readonly string[];
  /** Connects and joins the configured channels/rooms. */
  connect(): Promise<void>;
  /** Delivers one message to one of this backend's destinations, rendered in the backend's idiom. */
  send(destination: string, message: RelayMessage): Promise<void>;
  /** Registers the handler for messages people write to the relay. */
  onMessage(handler: (message: IncomingMessage) => void): void;
  /**
   * The relay's own names in `destination` as people address it there now (`name: command`):
   * its current nick, which may be a fallback after a collision, or a mention such as `<@U0BOT>`.
   * Without it the relay takes the nick from the backend's config.
   */
  addressNames?(destination: string): string[];
  /**
   * Whether messages can be delivered now (for /healthz): connected, logged in and in every
   * configured channel or room. Always true for the console.
   */
  readonly connected: boolean;
  /** Messages waiting in the backend's outgoing queue, over all destinations (for /metrics). */
  readonly queueDepth?: number;
  /**
   * Alerts (anything but command replies) queued or on their way: 0 once everything handed to
   * send() has reached the server. Absent when send() does not queue (it has reached it on return).
   */
  readonly alertsPending?: number;
  /** Running totals since the backend was made, for /metrics (read when scraped). */
  readonly counters?: Readonly<BackendCounters>;
  /**
   * Waits until the outgoing queue is empty or `deadlineMs` has passed, and resolves with the number
   * of messages still unsent. For shutdown, before close(); absent when send() does not queue.
   */
  flush?(deadlineMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface BackendCounters {
  /** Connection attempts scheduled after a lost or failed connection. */
  reconnects: number;
  /** Alerts dropped from a full outgoing queue (each drop is reported in the room by a notice). */
  droppedMessages: number;
  /** Command replies dropped because too many waited (never announced: the alerts go first). */
  droppedReplies: number;
}

export interface BackendDependencies {
  logger: Logger;
  /** log.deliveries: one info line per message sent, when it has been handed to the server. */
  logDeliveries?: boolean;
}
