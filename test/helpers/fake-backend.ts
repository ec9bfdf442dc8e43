/**
 * The one in-memory chat backend of the tests: it keeps what it is sent, lets a test write as if
 * someone typed in chat, counts connects and closes, and can fail on purpose. With `queue`, what
 * it is sent goes through a real Outbox (one message a second) first, as a networked backend's does.
 */
import type { ChatBackend, IncomingMessage } from '../../src/chat/backend.js';
import { Outbox } from '../../src/chat/outbox.js';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';

export interface FakeBackendOptions {
  /** connect() rejects: "server unreachable". */
  failConnect?: boolean;
  /** send() rejects ("write after end") and close() too ("already gone"). */
  failSend?: boolean;
  /** Messages wait in an Outbox (burst 1, 1 a second, on `clock`), which sends only while `ready`. */
  queue?: { clock: Clock; logger: Logger; ready: boolean };
}

export class FakeBackend implements ChatBackend {
  /** What was delivered, in order. */
  readonly sent: { destination: string; message: RelayMessage }[] = [];
  /** `sent <text>` for each delivery and `close`, in order: what happened before the goodbye. */
  readonly events: string[] = [];
  readonly handlers: ((message: IncomingMessage) => void)[] = [];
  connects = 0;
  closes = 0;
  readonly outbox: Outbox | undefined;
  /** Only with a queue: like a backend whose send() resolves on delivery, the plain fake has nothing to flush. */
  readonly flush?: (deadlineMs: number) => Promise<number>;
  private up = true;

  constructor(
    readonly name = 'irc',
    readonly destinations: string[] = ['irc:#ops'],
    private readonly options: FakeBackendOptions = {},
  ) {
    const { queue } = options;
    if (queue === undefined) return;
    this.outbox = new Outbox({
      capacity: 100,
      rateLimit: { burst: 1, perSecond: 1 },
      bucketKey: () => 'connection',
      transmit: async (destination, message) => this.deliver(destination, message),
      clock: queue.clock,
      logger: queue.logger,
    });
    this.outbox.setReady(queue.ready);
    const outbox = this.outbox;
    this.flush = (deadlineMs) => outbox.flush(deadlineMs);
  }

  /** What /healthz reports; a test may flip it. With a queue: whether the outbox sends. */
  get connected(): boolean {
    return this.outbox?.isReady ?? this.up;
  }

  set connected(up: boolean) {
    this.up = up;
    this.outbox?.setReady(up);
  }

  get queueDepth(): number {
    return this.outbox?.depth ?? 0;
  }

  async connect(): Promise<void> {
    this.connects++;
    if (this.options.failConnect) throw new Error('server unreachable');
  }

  async send(destination: string, message: RelayMessage): Promise<void> {
    if (this.options.failSend) throw new Error('write after end');
    if (this.outbox) this.outbox.enqueue(destination, message);
    else this.deliver(destination, message);
  }

  private deliver(destination: string, message: RelayMessage): void {
    this.sent.push({ destination, message });
    this.events.push(`sent ${message.text}`);
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handlers.push(handler);
  }

  /** Delivers a message the way the backend's chat library would. */
  write(message: IncomingMessage): void {
    for (const handler of this.handlers) handler(message);
  }

  /** The texts sent since `from` (an index into `sent`). */
  texts(from = 0): string[] {
    return this.sent.slice(from).map((sent) => sent.message.text);
  }

  async close(): Promise<void> {
    this.closes++;
    this.events.push('close');
    this.outbox?.close();
    if (this.options.failSend) throw new Error('already gone');
  }
}
