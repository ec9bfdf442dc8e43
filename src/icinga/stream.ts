import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Clock, Random, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { Backoff, type BackoffOptions } from '../util/backoff.js';
import { IcingaConnection, type ConnectionSettings } from './connection.js';
import { describeFailure, describeHttpFailure, IcingaHttpError, type Failure } from './errors.js';
import { EventChunkParser } from './event-chunks.js';
import { EVENT_TYPES, isEventType, type IcingaEvent } from './event-types.js';
import { DEFAULT_MAX_LINE_BYTES } from './ndjson.js';

/**
 * Reads `POST /v1/events` and reconnects, with backoff, after every end: Icinga2 ends the stream
 * cleanly on each reload. The stream carries no keepalive bytes (idle 10+ minutes measured), so
 * besides TCP keepalive a periodic probe checks that Icinga2 answers and has not restarted.
 *
 * With several URLs (an HA pair of masters) an attempt that fails moves on to the next URL at
 * once, round the list; only after every URL failed in a row does the backoff delay apply. A clean
 * end (a reload) retries the same URL. `connection` is the endpoint currently used: the relay's
 * other API users follow it (see Relay).
 */

export interface EventStreamOptions {
  /** One URL, or several tried in order (HA masters). */
  url: string | readonly string[];
  connection: ConnectionSettings;
  /** Icinga2 event types to subscribe to; each must be one of EVENT_TYPES. */
  types: readonly string[];
  /** An Icinga2 filter expression. Icinga2 ignores an invalid one silently (it only logs it). */
  filter?: string;
  maxLineBytes?: number;
  /** Time between liveness probes while connected. */
  probeIntervalMs?: number;
  backoff?: BackoffOptions;
  clock: Clock;
  random: Random;
  logger: Logger;
}

export const DEFAULT_PROBE_INTERVAL_MS = 60_000;

/** Why the last attempt ended: a failure (see errors.ts), a clean end by Icinga2, or a failed liveness probe. */
export type DisconnectKind = Failure['kind'] | 'ended' | 'probe';

export type StreamStatus =
  | { state: 'connected'; url: string; queue: string }
  /** Sent after every ended or failed attempt, not only after a connected one. */
  | { state: 'disconnected'; kind: DisconnectKind; reason: string; retryInMs: number }
  | { state: 'stopped' };

export interface EventStreamEvents {
  /** `arrivedAt`: when the line's bytes arrived, in clock milliseconds. */
  event: [event: IcingaEvent, arrivedAt: number];
  status: [status: StreamStatus];
}

export interface EventStreamCounters {
  events: number;
  malformed: number;
  overlong: number;
  /** Connection attempts after the first one. */
  reconnects: number;
}

const EVENTS_PATH = '/v1/events';
const STATUS_PATH = '/v1/status/IcingaApplication';
const EXCERPT_CHARS = 200;

interface Disconnect {
  kind: DisconnectKind;
  message: string;
}

/** One connection attempt, from the first request to the end of its stream. */
interface Attempt {
  controller: AbortController;
  /** Set when the relay itself drops the connection (a failed probe), so the abort is not read as a failure. */
  dropped?: Disconnect;
  probeTimer?: TimerHandle;
}

export class EventStream extends EventEmitter<EventStreamEvents> {
  private readonly connection: IcingaConnection;
  /** As configured, for logs and status. */
  private readonly urls: readonly string[];
  /** Failed attempts in a row on different URLs since the last backoff sleep. */
  private failedInRound = 0;
  private readonly types: readonly string[];
  private readonly filter: string | undefined;
  private readonly maxLineBytes: number;
  private readonly probeIntervalMs: number;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly counts: EventStreamCounters = { events: 0, malformed: 0, overlong: 0, reconnects: 0 };
  private queueCounter = 0;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private attempt: Attempt | undefined;
  private probeInFlight: Promise<void> | undefined;
  private isConnected = false;
  private reportedNoProgramStart = false;
  private sleepTimer: TimerHandle | undefined;
  private wake: (() => void) | undefined;

  constructor(options: EventStreamOptions) {
    super();
    if (options.types.length === 0) throw new Error('no Icinga2 event types given: subscribe to at least one');
    for (const type of options.types) {
      if (!isEventType(type)) {
        throw new Error(`unknown Icinga2 event type "${type}" (Icinga2 would accept it and send nothing); known types: ${EVENT_TYPES.join(', ')}`);
      }
    }
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    this.connection = new IcingaConnection(this.urls, options.connection, options.clock);
    this.types = [...options.types];
    this.filter = options.filter;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.backoff = new Backoff(options.backoff ?? {}, options.clock, options.random);
    this.clock = options.clock;
    this.random = options.random;
    this.logger = options.logger;
  }

  get counters(): Readonly<EventStreamCounters> {
    return { ...this.counts };
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The URL the stream uses now (or tries next). */
  get url(): string {
    return this.urls[this.connection.urls.indexOf(this.connection.url)];
  }

  start(): void {
    if (this.stopping) throw new Error('a stopped event stream cannot be started again');
    if (this.loop) throw new Error('the event stream was already started');
    this.loop = this.run();
  }

  /** Aborts the stream, cancels timers and closes every socket; resolves when all is closed. */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.attempt?.controller.abort();
    this.clock.clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loop;
    await this.probeInFlight;
    await this.connection.close();
    this.emitStatus({ state: 'stopped' });
  }

  private async run(): Promise<void> {
    let attempts = 0;
    while (!this.stopping) {
      if (attempts++ > 0) {
        this.counts.reconnects++;
        this.rereadTls();
      }
      const disconnect = await this.connectOnce();
      if (this.stopping) break;
      const failedUrl = this.url;
      const failover = disconnect.kind !== 'ended' && this.connection.urls.length > 1;
      if (failover) this.failedInRound++;
      // Another endpoint not yet tried in this round is tried at once.
      const retryInMs = failover && this.failedInRound < this.connection.urls.length ? 0 : this.backoff.nextDelay();
      if (retryInMs > 0) this.failedInRound = 0;
      const fields = { url: failedUrl, retryInMs };
      if (disconnect.kind === 'auth' || disconnect.kind === 'tls') this.logger.error(disconnect.message, fields);
      else if (disconnect.kind === 'ended') this.logger.info(disconnect.message, fields);
      else this.logger.warn(disconnect.message, fields);
      this.emitStatus({ state: 'disconnected', kind: disconnect.kind, reason: disconnect.message, retryInMs });
      if (failover) {
        this.connection.failover();
        this.logger.warn(`failing over to ${this.url}`, { from: failedUrl, retryInMs });
      }
      if (retryInMs > 0) await this.sleep(retryInMs);
    }
  }

  private async connectOnce(): Promise<Disconnect> {
    const attempt: Attempt = { controller: new AbortController() };
    this.attempt = attempt;
    const signal = attempt.controller.signal;
    let disconnect: Disconnect;
    try {
      const programStart = await this.readProgramStart(signal);
      const queue = this.nextQueueName();
      const body = { types: this.types, queue, ...(this.filter === undefined ? {} : { filter: this.filter }) };
      const response = await this.connection.request('POST', EVENTS_PATH, { body, signal, streaming: true });
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw new IcingaHttpError(response.statusCode, await response.body.text());
      }
      this.isConnected = true;
      this.failedInRound = 0;
      this.backoff.connected();
      this.logger.info('event stream connected', { url: this.url, queue, types: this.types.join(',') });
      this.emitStatus({ state: 'connected', url: this.url, queue });
      this.scheduleProbe(attempt, programStart);

      const parser = new EventChunkParser({ maxLineBytes: this.maxLineBytes, onMalformed: this.handleMalformed, onOverlong: this.handleOverlong });
      let arrivedAt = 0;
      for await (const chunk of response.body) {
        arrivedAt = this.clock.now();
        for (const event of parser.push(chunk as Buffer)) this.handOn(event, arrivedAt);
      }
      // A last line without a newline came with the last chunk.
      for (const event of parser.end()) this.handOn(event, arrivedAt);
      disconnect = { kind: 'ended', message: 'Icinga2 ended the event stream (it does on every reload and restart)' };
    } catch (error) {
      disconnect = attempt.dropped ?? describeFailure(error, this.connection.failureHints);
    }
    this.isConnected = false;
    this.clock.clearTimeout(attempt.probeTimer);
    // Also cancels a probe still under way.
    attempt.controller.abort();
    this.attempt = undefined;
    return disconnect;
  }

  /** Icinga2 renews its CA and certificates: a reconnect uses the files as they are now. */
  private rereadTls(): void {
    try {
      const changed = this.connection.refreshTls();
      if (changed.length > 0) this.logger.info('re-read renewed TLS files for the event stream', { files: changed.join(',') });
    } catch (error) {
      this.logger.error('cannot use the renewed TLS files, keeping the ones in use', { error: describeFailure(error).message });
    }
  }

  private emitStatus(status: StreamStatus): void {
    try {
      this.emit('status', status);
    } catch (error) {
      // Like a failing event listener: reported, and the stream goes on.
      this.logger.error('status listener failed', { state: status.state, error });
    }
  }

  private handOn(event: IcingaEvent, arrivedAt: number): void {
    this.counts.events++;
    try {
      this.emit('event', event, arrivedAt);
    } catch (error) {
      // A failing consumer must not cost the stream its connection and the events behind this one.
      this.logger.error('event listener failed', { type: event.type, error });
    }
  }

  private readonly handleOverlong = (bytes: number): void => {
    this.counts.overlong++;
    this.logger.warn('dropped an over-long line from the event stream', { bytes, maxLineBytes: this.maxLineBytes });
  };

  private readonly handleMalformed = (line: string, problem: string): void => {
    this.counts.malformed++;
    this.logger.warn('malformed line in the event stream', { problem, excerpt: line.slice(0, EXCERPT_CHARS) });
  };

  /**
   * Icinga2's program_start when the stream opens, to recognise a restart behind a connection
   * that looks fine. Undefined when the API user may not read it (Icinga2 answers 404).
   */
  private async readProgramStart(signal: AbortSignal): Promise<number | undefined> {
    const answer = await this.connection.apiRequest('GET', STATUS_PATH, undefined, signal);
    if (answer.status === 401 || answer.status >= 500) throw new IcingaHttpError(answer.status, answer.text);
    const programStart = answer.status < 300 ? readProgramStartField(answer.body) : undefined;
    if (programStart === undefined && !this.reportedNoProgramStart) {
      this.reportedNoProgramStart = true;
      this.logger.info(`cannot read ${STATUS_PATH} (HTTP ${answer.status}): the liveness probe will not notice Icinga2 restarts`, { url: this.url });
    }
    return programStart;
  }

  private scheduleProbe(attempt: Attempt, programStart: number | undefined): void {
    attempt.probeTimer = this.clock.setTimeout(() => {
      this.probeInFlight = this.probe(attempt, programStart);
    }, this.probeIntervalMs);
  }

  private async probe(attempt: Attempt, programStart: number | undefined): Promise<void> {
    const signal = attempt.controller.signal;
    let problem: string | undefined;
    try {
      const answer = await this.connection.apiRequest('GET', STATUS_PATH, undefined, signal);
      if (answer.status >= 500) {
        problem = `liveness probe failed: ${describeHttpFailure(answer.status, answer.text, this.connection.failureHints).message}`;
      } else if (answer.status < 300 && programStart !== undefined) {
        const now = readProgramStartField(answer.body);
        if (now !== programStart) problem = `Icinga2 restarted (program_start ${programStart} became ${now}): this stream is stale`;
      }
      // Any other answer (a 404 for a user without the permission) still shows Icinga2 is alive.
    } catch (error) {
      problem = `liveness probe failed: ${describeFailure(error, this.connection.failureHints).message}`;
    }
    if (signal.aborted) return;
    if (problem === undefined) {
      this.scheduleProbe(attempt, programStart);
      return;
    }
    attempt.dropped = { kind: 'probe', message: problem };
    attempt.controller.abort();
  }

  private nextQueueName(): string {
    const suffix = Math.floor(this.random() * 36 ** 6).toString(36);
    return `icinga-relay-${hostname()}-${process.pid}-${++this.queueCounter}-${suffix}`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = this.clock.setTimeout(resolve, ms);
    });
  }
}

function readProgramStartField(body: unknown): number | undefined {
  const value = (body as { results?: { status?: { icingaapplication?: { app?: { program_start?: unknown } } } }[] } | undefined)?.results?.[0]
    ?.status?.icingaapplication?.app?.program_start;
  return typeof value === 'number' ? value : undefined;
}
