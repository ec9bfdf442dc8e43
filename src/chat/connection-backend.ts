/**
 * What every networked backend (IRC, XMPP, Slack) has in common, written once: messages go
 * through an Outbox (queued while the connection is down, paced, retried), the connection comes
 * back through a Reconnector, and /healthz, /metrics and shutdown read both the same way. A
 * backend adds its protocol: connecting, `transmit` for one message, and what it hears.
 */
import { systemClock, type Clock, type Random } from '../clock.js';
import type { ChatConnectionConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { RelayMessage } from '../message.js';
import { Reconnector } from '../util/reconnector.js';
import { DeliveryError, type BackendCounters, type BackendDependencies, type ChatBackend, type DeliveryFailureReason, type IncomingMessage } from './backend.js';
import { connectionOutbox, type Outbox, type OutboxOptions } from './outbox.js';

export interface ConnectionBackendDependencies extends BackendDependencies {
  clock?: Clock;
  random?: Random;
}

/** What a transmit failed with, in the one vocabulary: a fault the backend did not name is the connection's, worth a retry. */
function asDeliveryError(error: unknown): DeliveryError {
  return error instanceof DeliveryError ? error : new DeliveryError('unavailable', true, error instanceof Error ? error.message : String(error));
}

export abstract class ConnectionBackend implements ChatBackend {
  abstract readonly name: string;
  abstract readonly destinations: readonly string[];
  protected readonly logger: Logger;
  protected readonly clock: Clock;
  protected readonly random: Random;
  protected readonly outbox: Outbox;
  /** The connection's own; a backend with a second connection (Slack) makes another with reconnector(). */
  protected readonly reconnect: Reconnector;
  private readonly reconnectors: Reconnector[] = [];
  private handler: ((message: IncomingMessage) => void) | undefined;
  private closeStarted = false;
  private closed: Promise<void> | undefined;

  constructor(
    name: string,
    private readonly connection: ChatConnectionConfig,
    dependencies: ConnectionBackendDependencies,
    outbox: Pick<OutboxOptions, 'bucketKey' | 'maxInFlight' | 'inFlightBytes'>,
    /** What a planned reconnect does. */
    reconnect: () => void,
  ) {
    this.logger = dependencies.logger.child(name);
    this.clock = dependencies.clock ?? systemClock;
    this.random = dependencies.random ?? Math.random;
    this.outbox = connectionOutbox(connection, {
      ...outbox,
      transmit: (destination, message) => this.transmit(destination, message).catch((error: unknown) => Promise.reject(asDeliveryError(error))),
      clock: this.clock,
      logger: this.logger,
      logSent: dependencies.logDeliveries,
    });
    this.reconnect = this.reconnector(reconnect);
  }

  /** A Reconnector on the configured `reconnect` delays, counted in `counters` and stopped by close(). */
  protected reconnector(attempt: () => void): Reconnector {
    const { minMs, maxMs } = this.connection.reconnect;
    const reconnector = new Reconnector({ initialDelayMs: minMs, maxDelayMs: maxMs }, this.clock, this.random, attempt);
    this.reconnectors.push(reconnector);
    return reconnector;
  }

  abstract connect(): Promise<void>;

  /** Checks that `destination` is one this backend can send to; throws when not. */
  protected abstract checkDestination(destination: string): void;

  /** Sends one message now; a DeliveryError says whether the Outbox retries it (any other error is `unavailable`, retried). */
  protected abstract transmit(destination: string, message: RelayMessage): Promise<void>;

  /** Ends the connection; runs once, after the outbox and reconnects have stopped. */
  protected abstract shutdown(): Promise<void>;

  /** Queues a message; it leaves through the Outbox once connected. */
  async send(destination: string, message: RelayMessage): Promise<void> {
    this.checkDestination(destination);
    this.outbox.enqueue(destination, message);
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handler = handler;
  }

  /** Hands what someone wrote to the relay. */
  protected emit(message: IncomingMessage): void {
    this.handler?.(message);
  }

  /** Nothing is sent or retried after the first call; every call resolves once the connection is closed. */
  close(): Promise<void> {
    if (this.closed === undefined) {
      this.closeStarted = true;
      this.outbox.close();
      for (const reconnector of this.reconnectors) reconnector.close();
      this.closed = this.shutdown();
    }
    return this.closed;
  }

  /** close() has been called. */
  protected get closing(): boolean {
    return this.closeStarted;
  }

  /** Messages can go out now: connected, logged in and in every configured channel or room. */
  get connected(): boolean {
    return this.outbox.isReady;
  }

  /** Waits for the outgoing queue to empty, at most `deadlineMs`; resolves with what is left unsent. */
  flush(deadlineMs: number): Promise<number> {
    return this.outbox.flush(deadlineMs);
  }

  get queueDepth(): number {
    return this.outbox.depth;
  }

  get alertsPending(): number {
    return this.outbox.alertsPending;
  }

  get counters(): BackendCounters {
    return {
      reconnects: this.reconnectors.reduce((total, reconnector) => total + reconnector.count, 0),
      droppedMessages: this.outbox.droppedTotal,
      droppedReplies: this.outbox.repliesDroppedTotal,
    };
  }

  get deliveryFailures(): Readonly<Partial<Record<DeliveryFailureReason, number>>> {
    return this.outbox.deliveryFailures;
  }
}
