/**
 * The relay: the event stream feeds the pipeline, and each delivery goes to the chat backends
 * that serve its destinations. A failing backend never stops the stream or the other backends.
 */
import { systemClock, type Clock, type Random } from './clock.js';
import type { RelayConfig } from './config.js';
import type { ChatBackend } from './chat/backend.js';
import { createBackends } from './chat/registry.js';
import type { ConnectionSettings } from './icinga/connection.js';
import type { IcingaEvent } from './icinga/event-types.js';
import { EventStream } from './icinga/stream.js';
import type { Logger } from './log.js';
import { Pipeline } from './pipeline.js';
import { createRouter } from './router.js';

export interface RelayDependencies {
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** Instead of the backends the config names: for tests. */
  backends?: ChatBackend[];
}

export function connectionSettings(icinga: RelayConfig['icinga']): ConnectionSettings {
  const { auth } = icinga;
  return {
    caPem: icinga.ca,
    auth:
      auth.kind === 'password'
        ? { method: 'password', username: auth.username, password: auth.password }
        : { method: 'certificate', certPem: auth.cert, keyPem: auth.key },
  };
}

export class Relay {
  readonly stream: EventStream;
  readonly backends: readonly ChatBackend[];
  private readonly backendByDestination = new Map<string, ChatBackend>();
  private readonly pipeline: Pipeline;
  private readonly logger: Logger;

  constructor(config: RelayConfig, dependencies: RelayDependencies) {
    this.logger = dependencies.logger;
    const clock = dependencies.clock ?? systemClock;
    this.backends = dependencies.backends ?? createBackends(config.chat, { logger: this.logger });
    for (const backend of this.backends) {
      for (const destination of backend.destinations) this.backendByDestination.set(destination, backend);
    }
    this.pipeline = new Pipeline({
      width: config.format.width,
      router: createRouter({ destinations: [...this.backendByDestination.keys()], softStates: config.format.softStates }),
    });
    const [url, ...standby] = config.icinga.urls;
    if (standby.length > 0) {
      this.logger.warn('several Icinga2 URLs are configured; this version uses only the first', { url, ignored: standby.join(',') });
    }
    this.stream = new EventStream({
      url,
      connection: connectionSettings(config.icinga),
      types: config.icinga.events,
      filter: config.icinga.filter,
      maxLineBytes: config.icinga.maxLineBytes,
      probeIntervalMs: config.icinga.probeIntervalMs,
      backoff: { initialDelayMs: config.icinga.reconnect.minMs, maxDelayMs: config.icinga.reconnect.maxMs },
      clock,
      random: dependencies.random ?? Math.random,
      logger: this.logger.child('icinga'),
    });
    this.stream.on('event', (event) => this.handleEvent(event));
  }

  /** Connects every backend (one failing does not stop the others), then starts reading events. */
  async start(): Promise<void> {
    await Promise.all(
      this.backends.map((backend) =>
        backend.connect().catch((error: unknown) => this.logger.error('chat backend failed to connect', { backend: backend.name, error })),
      ),
    );
    this.stream.start();
  }

  handleEvent(event: IcingaEvent): void {
    const delivery = this.pipeline.process(event);
    if (!delivery) return;
    const formatError = delivery.message.fields.format_error;
    if (formatError !== undefined) {
      // The generic line went out instead; the formatter has a bug worth reporting.
      this.logger.warn('formatter failed, relayed the generic line instead', { eventType: event.type, error: formatError });
    }
    for (const destination of delivery.destinations) {
      const backend = this.backendByDestination.get(destination);
      backend?.send(destination, delivery.message).catch((error: unknown) => {
        this.logger.error('delivery failed', { destination, eventType: event.type, error });
      });
    }
  }

  async stop(): Promise<void> {
    await this.stream.stop();
    await Promise.all(
      this.backends.map((backend) =>
        backend.close().catch((error: unknown) => this.logger.warn('chat backend did not close cleanly', { backend: backend.name, error })),
      ),
    );
  }
}
