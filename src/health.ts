/**
 * `/healthz` and `/metrics` for the relay, on a small HTTP listener (loopback by default, off
 * unless the config has an `http` section).
 *
 * - `/healthz`: JSON with the event stream and every chat backend, connected or not; HTTP 200
 *   when all are up, 503 otherwise.
 * - `/metrics`: Prometheus text format from prom-client, on a registry of this relay's own (not
 *   prom-client's global one), so tests and several relays in one process do not collide.
 *
 * The relay feeds RelayMetrics as things happen (events in, deliveries, noise control,
 * commands); what has a current value (connections, queue depths, the stream's counters) is read
 * when scraped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendCounters, ChatBackend } from './chat/backend.js';
import type { ApiRequestResult } from './icinga/connection.js';
import type { EventStreamCounters } from './icinga/stream.js';
import type { Logger } from './log.js';
import type { NoiseCount } from './noise/index.js';

/** What /healthz and the scrape-time metrics read. */
export interface HealthSources {
  stream: { readonly connected: boolean; readonly url: string; readonly counters: Readonly<EventStreamCounters> };
  backends: readonly ChatBackend[];
  /** Messages waiting in noise control's rate-limited queues, when known. */
  noiseQueueDepth?: () => number;
}

export interface HealthReport {
  healthy: boolean;
  stream: { connected: boolean; url: string };
  backends: Record<string, { connected: boolean }>;
}

export function healthReport(sources: HealthSources): HealthReport {
  const backends: HealthReport['backends'] = {};
  for (const backend of sources.backends) backends[backend.name] = { connected: backend.connected };
  const healthy = sources.stream.connected && sources.backends.every((backend) => backend.connected);
  return { healthy, stream: { connected: sources.stream.connected, url: sources.stream.url }, backends };
}

/**
 * Feeds a prom-client Counter from running totals kept elsewhere: each scrape adds what a source's
 * total grew by since the last one. Keyed by source and label set, so a source that is replaced
 * (a chat backend made anew on reload) starts from its own zero.
 */
function runningTotals() {
  const seen = new WeakMap<object, Map<string, number>>();
  return {
    add<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string>>, source: object, total: number): void {
      let bySource = seen.get(source);
      if (!bySource) seen.set(source, (bySource = new Map()));
      const key = JSON.stringify(labels);
      const delta = total - (bySource.get(key) ?? 0);
      if (delta > 0) counter.inc(labels, delta);
      bySource.set(key, total);
    },
  };
}

/** Seconds from an event's Icinga2 timestamp to its delivery. */
export const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/** Seconds an Icinga2 API request takes: tens of milliseconds normally, the 10 s timeout at worst. */
export const API_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const PREFIX = 'icinga_relay_';

/** The relay's metrics, on a registry of their own. */
export class RelayMetrics {
  readonly registry = new Registry();
  private readonly eventsIn: Counter<'type'>;
  private readonly messagesOut: Counter<'destination' | 'result'>;
  private readonly noise: Counter<'destination' | 'kind'>;
  private readonly commands: Counter<'outcome' | 'command'>;
  private readonly throttled: Counter<'backend'>;
  private readonly lag: Histogram<'destination'>;
  private readonly apiRequests: Histogram<'result'>;

  constructor(sources: HealthSources) {
    const registers = [this.registry];
    this.eventsIn = new Counter({ name: `${PREFIX}events_received_total`, help: 'Events read from the Icinga2 event stream, by type', labelNames: ['type'], registers });
    this.messagesOut = new Counter({
      name: `${PREFIX}messages_sent_total`,
      help: 'Messages handed to a chat backend, by destination and result (sent, failed)',
      labelNames: ['destination', 'result'],
      registers,
    });
    this.noise = new Counter({
      name: `${PREFIX}noise_events_total`,
      help: 'Events noise control kept from going out on their own: deduplicated, flapping, muted (dropped), grouped (in a storm summary), suppressed (in a rate-limit notice)',
      labelNames: ['destination', 'kind'],
      registers,
    });
    this.throttled = new Counter({
      name: `${PREFIX}senders_throttled_total`,
      help: 'Times a chat sender went over its command budget (counted once per window; each line over budget is a commands_total outcome="rate-limited")',
      labelNames: ['backend'],
      registers,
    });
    this.commands = new Counter({ name: `${PREFIX}commands_total`, help: 'Chat commands by outcome (as audited) and command', labelNames: ['outcome', 'command'], registers });
    this.apiRequests = new Histogram({
      name: `${PREFIX}icinga_api_request_seconds`,
      help: 'Icinga2 API requests (commands, object queries, probes; not the event stream) by result: 2xx, 4xx, 5xx, or no-answer (timeout, refused)',
      labelNames: ['result'],
      buckets: API_BUCKETS,
      registers,
    });
    this.lag = new Histogram({
      name: `${PREFIX}delivery_lag_seconds`,
      help: "Time from an event's Icinga2 timestamp to its delivery to a chat backend",
      labelNames: ['destination'],
      buckets: LAG_BUCKETS,
      registers,
    });

    // The stream and the backends keep running totals; these counters take what was added since the last scrape.
    const skipped = runningTotals();
    new Counter({
      name: `${PREFIX}stream_lines_skipped_total`,
      help: 'Lines of the Icinga2 event stream skipped, by reason (malformed, overlong)',
      labelNames: ['reason'],
      registers,
      collect() {
        for (const reason of ['malformed', 'overlong'] as const) skipped.add(this, { reason }, sources.stream, sources.stream.counters[reason]);
      },
    });
    const reconnects = runningTotals();
    new Counter({
      name: `${PREFIX}reconnects_total`,
      help: 'Connection attempts after a lost or failed connection, by component (icinga, or the chat backend\'s name)',
      labelNames: ['component'],
      registers,
      collect() {
        reconnects.add(this, { component: 'icinga' }, sources.stream, sources.stream.counters.reconnects);
        for (const backend of sources.backends) {
          if (backend.counters) reconnects.add(this, { component: backend.name }, backend, backend.counters.reconnects);
        }
      },
    });
    /** A counter per backend fed from one of its running totals. */
    const backendTotal = (name: string, help: string, total: (counters: Readonly<BackendCounters>) => number) => {
      const totals = runningTotals();
      new Counter({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ['backend'],
        registers,
        collect() {
          for (const backend of sources.backends) if (backend.counters) totals.add(this, { backend: backend.name }, backend, total(backend.counters));
        },
      });
    };
    backendTotal('messages_dropped_total', "Alerts dropped from a chat backend's full outgoing queue (a notice in the room says how many)", (counters) => counters.droppedMessages);
    backendTotal(
      'replies_dropped_total',
      'Command replies dropped because too many waited for a chat connection (alerts go first; never announced in the room)',
      (counters) => counters.droppedReplies,
    );
    new Gauge({
      name: `${PREFIX}stream_connected`,
      help: '1 while the Icinga2 event stream is connected',
      registers,
      collect() {
        this.set(sources.stream.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}backend_connected`,
      help: '1 while the chat backend can deliver',
      labelNames: ['backend'],
      registers,
      collect() {
        for (const backend of sources.backends) this.set({ backend: backend.name }, backend.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}queue_depth`,
      help: 'Messages waiting: in a chat backend\'s outgoing queue (queue="backend:<name>") or in noise control\'s rate limit (queue="noise")',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const backend of sources.backends) this.set({ queue: `backend:${backend.name}` }, backend.queueDepth ?? 0);
        if (sources.noiseQueueDepth) this.set({ queue: 'noise' }, sources.noiseQueueDepth());
      },
    });
  }

  eventReceived(type: string): void {
    this.eventsIn.inc({ type });
  }

  /** `lagSeconds`: undefined for messages that do not stem from an Icinga2 event (replies). */
  messageSent(destination: string, ok: boolean, lagSeconds?: number): void {
    this.messagesOut.inc({ destination, result: ok ? 'sent' : 'failed' });
    if (ok && lagSeconds !== undefined) this.lag.observe({ destination }, Math.max(0, lagSeconds));
  }

  noiseCount(destination: string, kind: NoiseCount, events: number): void {
    if (events > 0) this.noise.inc({ destination, kind }, events);
  }

  senderThrottled(backend: string): void {
    this.throttled.inc({ backend });
  }

  icingaApiRequest(seconds: number, result: ApiRequestResult): void {
    this.apiRequests.observe({ result }, seconds);
  }

  commandOutcome(outcome: string, command: string | undefined): void {
    this.commands.inc({ outcome, command: command ?? '' });
  }
}

/**
 * What one client may hold of the listener. A scraper and a health check need a connection or two
 * and answer in milliseconds; anything that opens many, or trickles its headers, is cut off
 * instead of tying up the relay's memory and sockets.
 */
export interface HealthLimits {
  /** Connections open at once; more are closed as they come. */
  maxConnections: number;
  /** Time for a request's headers to arrive. */
  headersTimeoutMs: number;
  /** Time for a whole request (headers and any body) to arrive. */
  requestTimeoutMs: number;
  /** An idle connection (kept alive between requests, or silent) is closed after this. */
  idleTimeoutMs: number;
}

export const HEALTH_LIMITS: HealthLimits = { maxConnections: 16, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, idleTimeoutMs: 5_000 };
/** The request line and headers of a scrape are a few hundred bytes. */
const MAX_HEADER_BYTES = 4096;

export interface HealthServerOptions {
  host: string;
  port: number;
  sources: HealthSources;
  metrics: RelayMetrics;
  logger: Logger;
  /** HEALTH_LIMITS when absent. */
  limits?: HealthLimits;
}

/** The HTTP listener. GET (or HEAD) /healthz and /metrics; anything else is 404 (405 for other methods). */
export class HealthServer {
  private readonly server: Server;
  private listening = false;

  constructor(private readonly options: HealthServerOptions) {
    const limits = options.limits ?? HEALTH_LIMITS;
    this.server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.idleTimeoutMs,
        // Node checks the two timeouts above this often (30 s by default): as often as the shortest.
        connectionsCheckingInterval: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      },
      (request, response) => void this.handle(request, response),
    );
    this.server.maxConnections = limits.maxConnections;
    // A connection that sends nothing at all never starts a request, so the timeouts above do not see it.
    this.server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  }

  /** Listens; resolves with the port (useful with port 0). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.server.on('error', (error) => this.options.logger.error('health listener failed', { error }));
        this.listening = true;
        const { port } = this.server.address() as AddressInfo;
        this.options.logger.info('serving /healthz and /metrics', { host: this.options.host, port });
        resolve(port);
      });
    });
  }

  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      if (path === '/healthz') {
        const report = healthReport(this.options.sources);
        response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(`${JSON.stringify(report)}\n`);
      } else if (path === '/metrics') {
        const text = await this.options.metrics.registry.metrics();
        response.writeHead(200, { 'content-type': this.options.metrics.registry.contentType, 'cache-control': 'no-store' });
        response.end(text);
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
      }
    } catch (error) {
      this.options.logger.error('health request failed', { path, error });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    }
  }
}
