/**
 * The queue between the relay and one chat connection: messages wait here, in order per
 * destination, while the connection is down, and leave through a token bucket so the server
 * never disconnects the bot for flooding.
 *
 * Two lanes per destination: alerts (every event and the relay's own notices) and replies to
 * commands. When both wait, the next free send slot goes to an alert, whichever destination the
 * replies are for, so that nothing people type can hold an alert back by more than one slot. The
 * alert lane is bounded by `capacity` per destination; when it overflows the oldest alerts go and
 * one notice says how many and why. Replies are bounded much tighter (per destination and over
 * all), and under pressure they are what goes: counted, never announced in the room.
 *
 * One destination's messages go one after another, each once the one before it is sent; several
 * destinations may have one message on its way at once (`maxInFlight`, and `inFlightBytes`), so a
 * message to one room does not wait for the server to confirm another room's. A destination's
 * queues are forgotten once empty, so that a stream of direct-message peers leaves nothing behind.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';
import type { ChatConnectionConfig } from '../config/schema.js';
import { formatGap } from '../duration.js';
import { TokenBucket, type RateLimit } from '../util/token-bucket.js';

export interface OutboxOptions {
  /** Alerts kept per destination while they cannot be sent. */
  capacity: number;
  rateLimit: RateLimit;
  /** Which bucket a destination draws from: one per connection (IRC) or one per channel (Slack). */
  bucketKey: (destination: string) => string;
  /** Sends one message. A rejection keeps the message at the head of its queue for a retry. */
  transmit: (destination: string, message: RelayMessage) => Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Wait before retrying after a failed transmit. */
  retryMs?: number;
  /** Messages whose transmit may be under way at once, each to a different destination; 1 when absent. */
  maxInFlight?: number;
  /**
   * What the messages on their way may weigh together, in bytes, and what one weighs (IRC: what
   * its line waiting for the echo holds of the server's receive queue); no limit when absent. A
   * message over the limit on its own goes when nothing else is on its way.
   */
  inFlightBytes?: { max: number; of: (destination: string, message: RelayMessage) => number };
  /** Log each message sent, at info (log.deliveries). */
  logSent?: boolean;
  /** Replies kept per destination and over all destinations; REPLY_LIMITS when absent. */
  replyLimits?: { perDestination: number; total: number };
}

/** Whether a message travels in the reply lane: answers to commands, nothing Icinga2 said. */
export function isReply(message: RelayMessage): boolean {
  return message.eventType === 'Reply';
}

/**
 * A person gets a few lines back per command, and a rate-limited sender at most one more; more than
 * this waiting means replies pile up faster than the connection's pace lets them out.
 */
export const REPLY_LIMITS = { perDestination: 50, total: 200 };

interface Lane {
  messages: RelayMessage[];
  /** Alert lane: dropped since the last notice, and the reason the notice gives. */
  dropped: number;
  firstDropAt: number;
  /** Whether each drop since the last notice happened while the connection was down (true), up (false), or both (undefined). */
  droppedWhileDown: boolean | undefined;
}

interface DestinationQueue {
  alerts: Lane;
  replies: RelayMessage[];
  /** When a send to it last started, as a count of sends started (0: never): who goes first. */
  servedAt: number;
}

export const DEFAULT_RETRY_MS = 2000;

/**
 * An alert that waited through a time the connection was down, and longer than this, says so
 * when it goes out: "queued 2 min 5 s: CRITICAL ...". Waiting for the configured pace alone is
 * not marked: a flood is announced by its own length.
 */
export const LATE_AFTER_MS = 30_000;

/** `message` as sent after waiting `waitedMs`: the same, with the wait in front of its text. */
export function sentLate(message: RelayMessage, waitedMs: number): RelayMessage {
  // Copied property by property: a formatted message works its text out in a getter, which a spread would not copy.
  const { eventType, severity, host, service, timestamp, state, stateType, notificationType, notice, fields } = message;
  return { eventType, severity, host, service, timestamp, state, stateType, notificationType, notice, fields, text: `queued ${formatGap(waitedMs)}: ${message.text}` };
}

/** The notice that takes the place of alerts dropped from a full queue: how many, since when, and the true reason. */
export function droppedNotice(count: number, since: number, capacity: number, whileDown?: boolean): RelayMessage {
  const when = new Date(since).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const why =
    whileDown === true
      ? 'the chat connection was down'
      : whileDown === false
        ? 'they came faster than the configured pace lets messages out'
        : 'the chat connection was down, then they came faster than the configured pace';
  return {
    eventType: 'Relay',
    severity: 'warning',
    text: `icinga-relay: ${count} alert${count === 1 ? '' : 's'} dropped: queue full (more than ${capacity} waiting for this room since ${when}: ${why})`,
    timestamp: since / 1000,
    fields: { dropped: count },
  };
}

export class Outbox {
  private readonly queues = new Map<string, DestinationQueue>();
  private readonly buckets = new Map<string, TokenBucket>();
  private ready = false;
  private timer: TimerHandle | undefined;
  private retrying = false;
  private closed = false;
  /** Sends started so far: each queue's servedAt. */
  private sendsStarted = 0;
  /** Destinations whose message, taken off their queue, has a transmit not settled yet. */
  private readonly inFlight = new Set<string>();
  /** What those messages weigh together (inFlightBytes). */
  private bytesInFlight = 0;
  /** Alerts among the messages on their way. */
  private alertsInFlight = 0;
  /** Replies waiting, over all destinations. */
  private repliesWaiting = 0;
  /** Alerts dropped from full queues since the outbox was made. */
  droppedTotal = 0;
  /** Replies dropped under pressure since the outbox was made. */
  repliesDroppedTotal = 0;
  /** flush() calls waiting for the queues to empty. */
  private readonly emptyWaiters = new Set<() => void>();
  private readonly replyLimits: { perDestination: number; total: number };
  /** When each alert waiting was enqueued, to tell a late one (LATE_AFTER_MS). */
  private readonly enqueuedAt = new WeakMap<RelayMessage, number>();
  /** When the connection last came up: an alert enqueued before it waited through the time it was down. */
  private readySince = Infinity;

  constructor(private readonly options: OutboxOptions) {
    this.replyLimits = options.replyLimits ?? REPLY_LIMITS;
  }

  enqueue(destination: string, message: RelayMessage): void {
    if (this.closed) return;
    let queue = this.queues.get(destination);
    if (!queue) {
      queue = { alerts: { messages: [], dropped: 0, firstDropAt: 0, droppedWhileDown: undefined }, replies: [], servedAt: 0 };
      this.queues.set(destination, queue);
    }
    if (isReply(message)) this.enqueueReply(destination, queue, message);
    else this.enqueueAlert(queue.alerts, message);
    this.drain();
  }

  private enqueueAlert(lane: Lane, message: RelayMessage): void {
    if (!this.enqueuedAt.has(message)) this.enqueuedAt.set(message, this.options.clock.now());
    lane.messages.push(message);
    if (lane.messages.length <= this.options.capacity) return;
    lane.messages.shift();
    this.droppedTotal++;
    const down = !this.isReady;
    if (lane.dropped++ === 0) {
      lane.firstDropAt = this.options.clock.now();
      lane.droppedWhileDown = down;
    } else if (lane.droppedWhileDown !== down) lane.droppedWhileDown = undefined;
  }

  /** The newest reply is dropped when replies pile up: the sender hears nothing more, the alerts lose nothing. */
  private enqueueReply(destination: string, queue: DestinationQueue, message: RelayMessage): void {
    if (queue.replies.length >= this.replyLimits.perDestination || this.repliesWaiting >= this.replyLimits.total) {
      this.repliesDroppedTotal++;
      this.options.logger.debug('dropped a reply: too many waiting', { destination, waiting: queue.replies.length, total: this.repliesWaiting });
      this.forgetIfEmpty(destination, queue);
      return;
    }
    queue.replies.push(message);
    this.repliesWaiting++;
  }

  /** Whether messages leave now (setReady(true) and not closed). */
  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  /** The connection is up and joined (true) or gone (false). Messages only leave while ready. */
  setReady(ready: boolean): void {
    if (ready && !this.ready) this.readySince = this.options.clock.now();
    this.ready = ready;
    if (ready) this.drain();
  }

  /** Messages waiting, over all destinations, replies included. */
  get depth(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.alerts.messages.length + (queue.alerts.dropped > 0 ? 1 : 0) + queue.replies.length;
    return total;
  }

  /** Alerts (and drop notices) waiting or on their way: 0 once everything Icinga2 said has been sent. */
  get alertsPending(): number {
    let total = this.alertsInFlight;
    for (const queue of this.queues.values()) total += queue.alerts.messages.length + (queue.alerts.dropped > 0 ? 1 : 0);
    return total;
  }

  /** Destinations with something queued: bounded by the configured ones plus the peers replies wait for. */
  get destinationsQueued(): number {
    return this.queues.size;
  }

  close(): void {
    this.closed = true;
    this.options.clock.clearTimeout(this.timer);
    for (const wake of [...this.emptyWaiters]) wake();
  }

  /**
   * Resolves once every queued message has been sent, or `deadlineMs` later on the injected clock,
   * whichever comes first, with the number of messages still unsent (0 when all went). Sending goes
   * on as usual meanwhile: through the token bucket, and only while ready. For shutdown, before close().
   */
  flush(deadlineMs: number): Promise<number> {
    if (this.isEmpty() || this.closed) return Promise.resolve(this.depth);
    return new Promise<number>((resolve) => {
      const done = () => {
        this.options.clock.clearTimeout(timer);
        this.emptyWaiters.delete(done);
        const unsent = this.depth;
        if (unsent > 0) this.options.logger.warn('messages left unsent at the flush deadline', { unsent, deadlineMs });
        resolve(unsent);
      };
      const timer = this.options.clock.setTimeout(done, deadlineMs);
      this.emptyWaiters.add(done);
    });
  }

  private isEmpty(): boolean {
    return this.depth === 0 && this.inFlight.size === 0;
  }

  private forgetIfEmpty(destination: string, queue: DestinationQueue): void {
    if (queue.alerts.messages.length === 0 && queue.alerts.dropped === 0 && queue.replies.length === 0 && !this.inFlight.has(destination)) {
      this.queues.delete(destination);
    }
  }

  private bucket(destination: string): TokenBucket {
    const key = this.options.bucketKey(destination);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.options.rateLimit, this.options.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private wakeIn(ms: number, retrying = false): void {
    this.options.clock.clearTimeout(this.timer);
    this.retrying = retrying;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.retrying = false;
      this.drain();
    }, ms);
  }

  /**
   * Starts whatever may go now: first the alert lanes, then the reply lanes, each the head of a
   * destination with nothing on its way, while a token and a place among `maxInFlight` (and within
   * `inFlightBytes`) are free, the destination served longest ago first. An alert that waits (for
   * a token, for room on the way, for its destination's reply to be sent) keeps every reply waiting
   * that would take that token or that room. Runs again each time a send succeeds.
   */
  private drain(): void {
    // After a failed send, new messages wait for the retry instead of hammering a dead connection.
    if (!this.ready || this.closed || this.retrying) return;
    let soonestMs = Infinity;
    // Round-robin: the destination served longest ago (or never) first.
    const byTurn = [...this.queues].sort(([, a], [, b]) => a.servedAt - b.servedAt);
    /** Buckets an alert waits for: no reply may take their tokens. */
    const heldForAlerts = new Set<string>();
    let alertWaitsForRoom = false;
    for (const lane of ['alerts', 'replies'] as const) {
      for (const [destination, queue] of byTurn) {
        const message = lane === 'alerts' ? this.alertHead(queue.alerts) : queue.replies[0];
        if (message === undefined) continue;
        if (this.inFlight.has(destination)) {
          // The alert goes as soon as its destination's message on the way is sent: no reply takes its token meanwhile.
          if (lane === 'alerts') heldForAlerts.add(this.options.bucketKey(destination));
          continue;
        }
        if (lane === 'replies' && alertWaitsForRoom) return;
        const started = this.tryStart(destination, queue, message, lane === 'alerts', lane === 'replies' ? heldForAlerts : undefined);
        if (started === 'no-room') {
          if (lane === 'alerts') alertWaitsForRoom = true;
          break;
        }
        if (typeof started === 'number') {
          soonestMs = Math.min(soonestMs, started);
          if (lane === 'alerts') heldForAlerts.add(this.options.bucketKey(destination));
        }
      }
    }
    if (soonestMs !== Infinity) this.wakeIn(soonestMs);
  }

  /** The alert lane's head: the dropped-alerts notice if one is due, else the oldest alert. */
  private alertHead(lane: Lane): RelayMessage | undefined {
    if (lane.dropped > 0) return droppedNotice(lane.dropped, lane.firstDropAt, this.options.capacity, lane.droppedWhileDown);
    return lane.messages[0];
  }

  /** Starts sending `message`; 'no-room' when the window is full, a wait in ms when its bucket is empty (or held for an alert), 'started' otherwise. */
  private tryStart(
    destination: string,
    queue: DestinationQueue,
    message: RelayMessage,
    alert: boolean,
    heldForAlerts: ReadonlySet<string> | undefined,
  ): 'started' | 'no-room' | number {
    const maxInFlight = this.options.maxInFlight ?? 1;
    if (this.inFlight.size >= maxInFlight) return 'no-room';
    const { inFlightBytes } = this.options;
    const bytes = inFlightBytes?.of(destination, message) ?? 0;
    // It waits for room, and no later destination overtakes it: lighter messages cannot starve it.
    if (inFlightBytes && this.inFlight.size > 0 && this.bytesInFlight + bytes > inFlightBytes.max) return 'no-room';
    if (heldForAlerts?.has(this.options.bucketKey(destination))) return Infinity;
    const token = this.bucket(destination).take();
    if (!token.ok) return token.waitMs;
    queue.servedAt = ++this.sendsStarted;
    void this.sendHead(destination, queue, message, bytes, alert);
    return 'started';
  }

  /** Sends a lane's head; on failure puts it back and schedules the retry. */
  private async sendHead(destination: string, queue: DestinationQueue, message: RelayMessage, bytes: number, alert: boolean): Promise<void> {
    const droppedCount = alert ? queue.alerts.dropped : 0;
    // Taken off the queue before the send, so an overflow during the send cannot drop it.
    if (!alert) {
      queue.replies.shift();
      this.repliesWaiting--;
    } else if (droppedCount === 0) queue.alerts.messages.shift();
    this.inFlight.add(destination);
    this.bytesInFlight += bytes;
    if (alert) this.alertsInFlight++;
    const enqueuedAt = alert ? this.enqueuedAt.get(message) : undefined;
    const waitedMs = enqueuedAt !== undefined && enqueuedAt < this.readySince ? this.options.clock.now() - enqueuedAt : 0;
    try {
      await this.options.transmit(destination, waitedMs > LATE_AFTER_MS ? sentLate(message, waitedMs) : message);
    } catch (error) {
      if (!alert) {
        queue.replies.unshift(message);
        this.repliesWaiting++;
      } else if (droppedCount === 0) queue.alerts.messages.unshift(message);
      this.options.logger.warn('sending failed, will retry', { destination, error });
      // Sends still on their way when the connection failed fail too: one retry for them all.
      if (!this.retrying && !this.closed) this.wakeIn(this.options.retryMs ?? DEFAULT_RETRY_MS, true);
      return;
    } finally {
      this.inFlight.delete(destination);
      this.bytesInFlight -= bytes;
      if (alert) this.alertsInFlight--;
    }
    if (this.options.logSent) this.options.logger.info('sent', { destination, eventType: message.eventType, text: message.text });
    if (droppedCount > 0) {
      this.options.logger.warn('alerts were dropped from a full queue', { destination, dropped: droppedCount });
      queue.alerts.dropped -= droppedCount;
      if (queue.alerts.dropped > 0) queue.alerts.firstDropAt = this.options.clock.now();
    }
    this.forgetIfEmpty(destination, queue);
    if (this.emptyWaiters.size > 0 && this.isEmpty()) for (const wake of [...this.emptyWaiters]) wake();
    this.drain();
  }
}

/** The outbox of a networked backend, bounded and paced by its config block's `queue_size` and `rate`. */
export function connectionOutbox(
  config: ChatConnectionConfig,
  parts: Pick<OutboxOptions, 'bucketKey' | 'transmit' | 'clock' | 'logger' | 'maxInFlight' | 'inFlightBytes' | 'logSent'>,
): Outbox {
  return new Outbox({ capacity: config.queueSize, rateLimit: config.rate, ...parts });
}
