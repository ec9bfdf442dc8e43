/**
 * The per-destination rate limit, in front of the backend's own protocol throttle: a token
 * bucket and a bounded queue. What does not fit in the queue is never dropped without a trace:
 * it is counted into a suppression notice (`... 212 more events suppressed: 180 CRITICAL, 32
 * WARNING`) that takes one place behind the queue and goes out in its turn. Later overflow adds
 * to that notice while it waits, so the counts in all notices add up to what was left out.
 */
import { TokenBucket, type RateLimit } from '../util/token-bucket.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { RelayMessage } from '../message.js';
import { addTo, countOf, describeTally, tallySeverity, type Outgoing, type Tally } from './tally.js';

export interface RateSettings {
  rate: RateLimit;
  /** Messages waiting for the rate limit; more are counted into a suppression notice. */
  queueSize: number;
}

type Queued = { outgoing: Outgoing } | { suppressed: Tally };

export class RateLimitedQueue {
  private readonly bucket: TokenBucket;
  private readonly queue: Queued[] = [];
  /** The notice still waiting in the queue, which new overflow is added to. */
  private pendingNotice: Tally | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly settings: RateSettings,
    private readonly clock: Clock,
    private readonly deliver: (message: RelayMessage) => void,
  ) {
    this.bucket = new TokenBucket(settings.rate, clock);
  }

  push(outgoing: Outgoing): void {
    if (this.queue.length === 0 && this.bucket.take().ok) {
      this.deliver(outgoing.message);
      return;
    }
    if (this.queue.length - (this.pendingNotice ? 1 : 0) < this.settings.queueSize) {
      this.queue.push({ outgoing });
    } else if (this.pendingNotice) {
      addTo(this.pendingNotice, outgoing.covers);
    } else {
      this.pendingNotice = new Map(outgoing.covers);
      this.queue.push({ suppressed: this.pendingNotice });
    }
    this.schedule();
  }

  /** Messages waiting for a token, the suppression notice included. */
  get length(): number {
    return this.queue.length;
  }

  /**
   * For a shutdown: the first `limit` queued messages go out at once, past the rate; the rest
   * become one notice (`... 40 more events not sent, icinga-relay is stopping: 40 CRITICAL`), so
   * the room learns what it misses without a flood. The backend's own flood control still paces them.
   */
  flush(limit: number): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const queued = this.queue.splice(0);
    this.pendingNotice = undefined;
    const rest: Tally = new Map();
    for (const [index, item] of queued.entries()) {
      if (index >= limit) addTo(rest, 'outgoing' in item ? item.outgoing.covers : item.suppressed);
      else if ('outgoing' in item) this.deliver(item.outgoing.message);
      else this.deliver(suppressionNotice(item.suppressed, this.clock.now()));
    }
    if (rest.size > 0) this.deliver(suppressionNotice(rest, this.clock.now(), 'not sent, icinga-relay is stopping'));
  }

  /** Stops sending; answers the events still waiting (queued messages and suppressed ones), which are not sent. */
  close(): Tally {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const waiting: Tally = new Map();
    for (const queued of this.queue.splice(0)) addTo(waiting, 'outgoing' in queued ? queued.outgoing.covers : queued.suppressed);
    this.pendingNotice = undefined;
    return waiting;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const taken = this.bucket.take();
    if (taken.ok) {
      this.sendNext();
    } else {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, taken.waitMs);
    }
  }

  /** Sends the head of the queue (a token was taken for it), then waits for the next token if more are queued. */
  private sendNext(): void {
    const next = this.queue.shift();
    if (next === undefined) return;
    if ('outgoing' in next) {
      this.deliver(next.outgoing.message);
    } else {
      if (next.suppressed === this.pendingNotice) this.pendingNotice = undefined;
      this.deliver(suppressionNotice(next.suppressed, this.clock.now()));
    }
    if (this.queue.length > 0) this.schedule();
  }
}

function suppressionNotice(suppressed: Tally, now: number, why = 'suppressed'): RelayMessage {
  const count = countOf(suppressed);
  return {
    eventType: 'Relay',
    severity: tallySeverity(suppressed),
    text: `... ${count} more event${count === 1 ? '' : 's'} ${why}: ${describeTally(suppressed)}`,
    timestamp: now / 1000,
    fields: { noise: 'suppressed', count },
  };
}
