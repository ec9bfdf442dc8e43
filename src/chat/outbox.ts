/**
 * The queue between the relay and one chat connection: messages wait here, in order per
 * destination, while the connection is down, and leave through a token bucket so the server
 * never disconnects the bot for flooding. The queue is bounded; when it overflows the oldest
 * messages go, and one notice says how many went and since when, so nothing vanishes silently.
 *
 * One destination's messages go one after another, each once the one before it is sent; several
 * destinations may have one message on its way at once (`maxInFlight`, and `inFlightBytes`), so a
 * message to one room does not wait for the server to confirm another room's.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';
import type { ChatConnectionConfig } from '../config/schema.js';
import { TokenBucket, type RateLimit } from '../util/token-bucket.js';

export interface OutboxOptions {
  /** Messages kept per destination while they cannot be sent. */
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
}

interface DestinationQueue {
  messages: RelayMessage[];
  dropped: number;
  firstDropAt: number;
  /** When a send to it last started, as a count of sends started (0: never): who goes first. */
  servedAt: number;
}

export const DEFAULT_RETRY_MS = 2000;

/** The notice that takes the place of messages dropped from a full queue. */
export function droppedNotice(count: number, since: number, capacity: number): RelayMessage {
  const when = new Date(since).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    eventType: 'Relay',
    severity: 'warning',
    text: `icinga-relay dropped ${count} older message${count === 1 ? '' : 's'} for this room since ${when}: more than ${capacity} were waiting while the chat connection was down`,
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
  /** Messages dropped from full queues since the outbox was made. */
  droppedTotal = 0;
  /** flush() calls waiting for the queues to empty. */
  private readonly emptyWaiters = new Set<() => void>();

  constructor(private readonly options: OutboxOptions) {}

  enqueue(destination: string, message: RelayMessage): void {
    if (this.closed) return;
    let queue = this.queues.get(destination);
    if (!queue) {
      queue = { messages: [], dropped: 0, firstDropAt: 0, servedAt: 0 };
      this.queues.set(destination, queue);
    }
    queue.messages.push(message);
    if (queue.messages.length > this.options.capacity) {
      queue.messages.shift();
      this.droppedTotal++;
      if (queue.dropped++ === 0) queue.firstDropAt = this.options.clock.now();
    }
    this.drain();
  }

  /** Whether messages leave now (setReady(true) and not closed). */
  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  /** The connection is up and joined (true) or gone (false). Messages only leave while ready. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.drain();
  }

  /** Messages waiting, over all destinations. */
  get depth(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.messages.length + (queue.dropped > 0 ? 1 : 0);
    return total;
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
   * Starts whatever may go now: the head of each destination with nothing on its way, while a
   * token and a place among `maxInFlight` (and within `inFlightBytes`) are free, the destination
   * served longest ago first. Runs again each time a send succeeds.
   */
  private drain(): void {
    // After a failed send, new messages wait for the retry instead of hammering a dead connection.
    if (!this.ready || this.closed || this.retrying) return;
    const maxInFlight = this.options.maxInFlight ?? 1;
    const { inFlightBytes } = this.options;
    let soonestMs = Infinity;
    // Round-robin: the destination served longest ago (or never) first.
    const byTurn = [...this.queues].sort(([, a], [, b]) => a.servedAt - b.servedAt);
    for (const [destination, queue] of byTurn) {
      if (this.inFlight.size >= maxInFlight) return;
      if (this.inFlight.has(destination) || (queue.messages.length === 0 && queue.dropped === 0)) continue;
      const message = queue.dropped > 0 ? droppedNotice(queue.dropped, queue.firstDropAt, this.options.capacity) : queue.messages[0];
      const bytes = inFlightBytes?.of(destination, message) ?? 0;
      // It waits for room, and no later destination overtakes it: lighter messages cannot starve it.
      if (inFlightBytes && this.inFlight.size > 0 && this.bytesInFlight + bytes > inFlightBytes.max) return;
      const token = this.bucket(destination).take();
      if (!token.ok) {
        soonestMs = Math.min(soonestMs, token.waitMs);
        continue;
      }
      queue.servedAt = ++this.sendsStarted;
      void this.sendHead(destination, queue, message, bytes);
    }
    if (soonestMs !== Infinity) this.wakeIn(soonestMs);
  }

  /** Sends the queue's head: the dropped-messages notice if one is due, else the oldest message; on failure puts it back and schedules the retry. */
  private async sendHead(destination: string, queue: DestinationQueue, message: RelayMessage, bytes: number): Promise<void> {
    const droppedCount = queue.dropped;
    // Taken off the queue before the send, so an overflow during the send cannot drop it.
    if (droppedCount === 0) queue.messages.shift();
    this.inFlight.add(destination);
    this.bytesInFlight += bytes;
    try {
      await this.options.transmit(destination, message);
    } catch (error) {
      if (droppedCount === 0) queue.messages.unshift(message);
      this.options.logger.warn('sending failed, will retry', { destination, error });
      // Sends still on their way when the connection failed fail too: one retry for them all.
      if (!this.retrying && !this.closed) this.wakeIn(this.options.retryMs ?? DEFAULT_RETRY_MS, true);
      return;
    } finally {
      this.inFlight.delete(destination);
      this.bytesInFlight -= bytes;
    }
    if (droppedCount > 0) {
      this.options.logger.warn('messages were dropped from a full queue', { destination, dropped: droppedCount });
      queue.dropped -= droppedCount;
      if (queue.dropped > 0) queue.firstDropAt = this.options.clock.now();
    }
    if (this.emptyWaiters.size > 0 && this.isEmpty()) for (const wake of [...this.emptyWaiters]) wake();
    this.drain();
  }
}

/** The outbox of a networked backend, bounded and paced by its config block's `queue_size` and `rate`. */
export function connectionOutbox(
  config: ChatConnectionConfig,
  parts: Pick<OutboxOptions, 'bucketKey' | 'transmit' | 'clock' | 'logger' | 'maxInFlight' | 'inFlightBytes'>,
): Outbox {
  return new Outbox({ capacity: config.queueSize, rateLimit: config.rate, ...parts });
}
