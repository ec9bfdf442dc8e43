/**
 * The Slack backend: posts with the bot token (chat.postMessage), hears people over Socket Mode
 * (app token), and queues, paces and retries through the Outbox, one token bucket per channel
 * because Slack allows about one message per second per channel.
 *
 * Measured with @slack/web-api 8.2 and @slack/socket-mode 3.1 against test/harness/slack-fake.ts:
 * - WebClient's default policy keeps retrying one call for ~30 minutes and sleeps out a 429's
 *   Retry-After on the real clock. Here the library does no retrying: each post is retried
 *   `retries` times with short delays on the injected clock, a Retry-After holds back every post
 *   until it has passed, and a message that still fails goes back to the Outbox, which retries it.
 * - SocketModeClient's own reconnect waits 5 s after each end. While Slack is unreachable it
 *   retries apps.connections.open 100 times, each wait 1.3 times the last (minutes, then hours);
 *   with fewer retries, the failed reconnect rejects unhandled (which ends a Node process) and the
 *   client stays down for good. So reconnecting is done here, with Backoff on `reconnect`.
 * - Slack delivers events at least once: an envelope whose ack got lost comes again, so events
 *   seen recently are not passed on twice.
 */
import { SocketModeClient } from '@slack/socket-mode';
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type ConversationsListResponse,
  type Logger as SlackLogger,
  type WebAPICallResult,
} from '@slack/web-api';
import { EnvHttpProxyAgent, fetch as undiciFetch, ProxyAgent, type Dispatcher } from 'undici';
import type { TimerHandle } from '../../clock.js';
import { slackDestinations, type SlackConfig } from './config.js';
import { Backoff } from '../../util/backoff.js';
import type { Reconnector } from '../../util/reconnector.js';
import type { Logger } from '../../log.js';
import type { RelayMessage } from '../../message.js';
import { DeliveryError, REPLAY_SKEW_MS, type IncomingMessage } from '../backend.js';
import { ConnectionBackend, type ConnectionBackendDependencies } from '../connection-backend.js';
import { renderSlackMessage, unescapeSlackText } from './render.js';
import { placement, type SlackPlacement } from './threads.js';

export interface SlackDependencies extends ConnectionBackendDependencies {
  /** Where HTTPS_PROXY and NO_PROXY are read; process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

/** A Web API call that hangs would hold up every message behind it. */
const REQUEST_TIMEOUT_MS = 30_000;
/** close() does not wait longer for Slack to finish the websocket close handshake. */
const CLOSE_TIMEOUT_MS = 2_000;
/** Delays between the retries of one post: short, because the Outbox retries after them anyway. */
const POST_RETRY_BACKOFF = { initialDelayMs: 500, maxDelayMs: 5_000 };
/** Event IDs remembered against redelivery; Slack redelivers within minutes. */
const RECENT_EVENT_LIMIT = 1000;
/** Answers that mean "try again later"; any other `ok: false` answer would be the same on a retry. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** What went wrong with one Web API or Socket Mode call. */
interface SlackFailure {
  /** The same call would fail the same way: retrying is pointless. */
  permanent: boolean;
  /** What Slack or the network said, for the log. */
  reason: string;
  /** From a 429's Retry-After. */
  retryAfterMs?: number;
}

function classifyFailure(error: unknown): SlackFailure {
  // SocketModeClient.start() rejects with undefined when the websocket handshake fails (measured).
  const failure = (error ?? {}) as { code?: string; message?: string; retryAfter?: number; data?: { error?: string; needed?: string } };
  if (failure.code === ErrorCode.RateLimitedError && failure.retryAfter !== undefined) {
    return { permanent: false, reason: `rate limited (Retry-After ${failure.retryAfter} s)`, retryAfterMs: failure.retryAfter * 1000 };
  }
  if (failure.code === ErrorCode.PlatformError && failure.data?.error !== undefined) {
    const { error: code, needed } = failure.data;
    return { permanent: !TRANSIENT_PLATFORM_ERRORS.has(code), reason: needed ? `${code} (needs scope ${needed})` : code };
  }
  return { permanent: false, reason: failure.message ?? String(error) };
}

/** Slack's answers to a token it does not take. */
const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'not_allowed_token_type', 'token_revoked', 'token_expired', 'account_inactive']);

/** What to fix when Slack refused a token: the config key it came from. */
function tokenAdvice(reason: string, key: 'bot_token' | 'app_token'): string {
  return TOKEN_ERRORS.has(reason) ? `; check chat.slack.${key} (or ${key}_file)` : '';
}

/** The library's log lines go to ours at debug level: our own lines say what happened and what comes next. */
function libraryLogger(logger: Logger): SlackLogger {
  const write = (...parts: unknown[]) => logger.debug(parts.map(String).join(' '));
  return {
    debug: write,
    info: write,
    warn: write,
    error: write,
    // Above DEBUG, so the library does not build debug text it is not asked for.
    getLevel: () => LogLevel.INFO,
    // The interface asks for these; the libraries never call them on a logger they were given.
    /* c8 ignore next 2 */
    setLevel: () => {},
    setName: () => {},
  };
}

/** What @slack/socket-mode emits as `slack_event` for every envelope. */
interface SocketModeEnvelope {
  type: string;
  body: unknown;
  ack: () => Promise<void>;
}

/** The parts of an events_api payload (an event_callback) that matter here. */
interface EventCallback {
  event_id?: string;
  event?: {
    type?: string;
    subtype?: string;
    user?: string;
    bot_id?: string;
    channel?: string;
    channel_type?: string;
    text?: string;
    /** When Slack took the message: seconds since the epoch, as text ("1700000000.000100"). */
    ts?: string;
  };
}

/**
 * The way out to Slack on a network that has one only through a proxy: `chat.slack.proxy`, else
 * HTTPS_PROXY / HTTP_PROXY with NO_PROXY (either case), else none. For the Web API and the
 * Socket Mode websocket alike (both through an HTTP CONNECT tunnel).
 */
export function slackProxy(proxy: string | undefined, env: NodeJS.ProcessEnv): Dispatcher | undefined {
  if (proxy !== undefined) return new ProxyAgent(proxy);
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  if (httpsProxy === undefined && httpProxy === undefined) return undefined;
  return new EnvHttpProxyAgent({ httpsProxy, httpProxy, noProxy: env.NO_PROXY ?? env.no_proxy });
}

export class SlackBackend extends ConnectionBackend {
  readonly name = 'slack';
  readonly destinations: readonly string[];
  private readonly web: WebClient;
  private readonly socket: SocketModeClient;
  /** Retries of auth.test and the channel lookup while Slack is unreachable; `reconnect` is Socket Mode's. */
  private readonly webRetry: Reconnector;
  /** Destination → channel ID, for configured channels that resolved. */
  private readonly channelIds = new Map<string, string>();
  /** Channel ID → destination, so what people write names the channel as configured. */
  private readonly destinationsById = new Map<string, string>();
  private readonly recentEventIds = new Set<string>();
  private readonly timers = new Set<TimerHandle>();
  private ownUserId: string | undefined;
  /** No post goes out before this time: a 429's Retry-After. */
  private rateLimitedUntil = 0;
  /** Slack said hello on the current connection. */
  private socketUp = false;
  /** When the current Socket Mode connection was opened (ms, the relay's clock): older messages are history. */
  private socketOpenedAt: number | undefined;

  constructor(
    private readonly config: SlackConfig,
    dependencies: SlackDependencies,
  ) {
    // One token bucket per channel: Slack's limit is per channel.
    super('slack', config, dependencies, { bucketKey: (destination) => destination }, () => void this.openSocket());
    this.logger.addSecret(config.botToken);
    this.logger.addSecret(config.appToken);
    this.destinations = slackDestinations(config);
    this.webRetry = this.reconnector(() => void this.prepareWebApi().catch((error: unknown) => this.logger.error('Slack backend gave up', { error })));
    const dispatcher = slackProxy(config.proxy, dependencies.env ?? process.env);
    const clientOptions = {
      slackApiUrl: config.apiUrl,
      retryConfig: { retries: 0 },
      timeout: REQUEST_TIMEOUT_MS,
      ...(dispatcher && { fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch }),
    };
    const logger = libraryLogger(this.logger);
    this.web = new WebClient(config.botToken, { ...clientOptions, rejectRateLimitedCalls: true, logger });
    this.socket = new SocketModeClient({ appToken: config.appToken, autoReconnectEnabled: false, clientOptions, dispatcher, logger });
    this.socket.on('slack_event', (envelope: SocketModeEnvelope) => void this.receive(envelope));
    this.socket.on('disconnected', () => this.socketDown('the websocket closed'));
  }

  /**
   * Checks the bot token and resolves channel names, then opens Socket Mode. Rejects only when
   * Slack refuses the bot token; while Slack is unreachable it resolves and keeps trying, and
   * messages wait in the queue.
   */
  async connect(): Promise<void> {
    await this.prepareWebApi();
    await this.openSocket();
  }

  /** A configured destination, or an ID where someone wrote (a direct message, another channel). */
  protected checkDestination(destination: string): void {
    if (!destination.startsWith('slack:')) throw new Error(`the slack backend does not serve ${destination}`);
  }

  /** A mention of the bot user (`<@U0123>`, as Slack writes it in message text), once auth.test has named it. */
  addressNames(): string[] {
    return this.ownUserId === undefined ? [] : [`<@${this.ownUserId}>`];
  }

  protected async shutdown(): Promise<void> {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    let timeout: TimerHandle | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timeout = this.clock.setTimeout(() => {
        this.logger.warn('Slack did not finish closing the Socket Mode connection in time');
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.socket.disconnect(), timedOut]);
    this.clock.clearTimeout(timeout);
  }

  /** The Web API is ready (posts go out) and Socket Mode is up (commands come in). */
  get connected(): boolean {
    return super.connected && this.socketUp;
  }

  /** auth.test, then channel names; ready for the Outbox after both. Retries while Slack is unreachable. */
  private async prepareWebApi(): Promise<void> {
    try {
      const auth = await this.web.auth.test();
      this.ownUserId = auth.user_id;
      await this.resolveChannels();
      this.logger.info('Slack Web API ready', { team: auth.team, user: auth.user, channels: this.channelIds.size });
      this.outbox.setReady(true);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.permanent) throw new Error(`Slack refused the bot token: ${failure.reason}${tokenAdvice(failure.reason, 'bot_token')}`);
      const delayMs = this.webRetry.schedule(failure.retryAfterMs);
      if (delayMs !== undefined) this.logger.warn('Slack Web API not available, messages wait in the queue', { error: failure.reason, retryInMs: delayMs });
    }
  }

  /** IDs are used as they are; names are looked up once, in the channels the bot can see. */
  private async resolveChannels(): Promise<void> {
    const names = new Set<string>();
    for (const channel of this.config.channels) {
      if (channel.startsWith('#')) names.add(channel.slice(1));
      else this.remember(channel, channel);
    }
    if (names.size === 0) return;
    const found = new Map<string, string>();
    try {
      const pages = this.web.paginate('conversations.list', { types: 'public_channel,private_channel', exclude_archived: true, limit: 200 });
      for await (const page of pages as AsyncIterable<WebAPICallResult & ConversationsListResponse>) {
        // An ok answer always lists channels, each with an ID and a name.
        for (const channel of page.channels!) {
          if (names.has(channel.name!)) found.set(channel.name!, channel.id!);
        }
        if (found.size === names.size) break;
      }
    } catch (error) {
      const failure = classifyFailure(error);
      if (!failure.permanent) throw error;
      // Missing scopes and the like: the IDs still work, the names cannot.
      this.logger.error('cannot list Slack channels to resolve channel names', { error: failure.reason });
    }
    for (const name of names) {
      const id = found.get(name);
      if (id !== undefined) {
        this.remember(`#${name}`, id);
      } else {
        this.logger.error('Slack channel not found: its messages will be dropped (is the bot invited to it? private channels need groups:read)', {
          destination: `slack:#${name}`,
        });
      }
    }
  }

  private remember(channel: string, id: string): void {
    this.channelIds.set(`slack:${channel}`, id);
    this.destinationsById.set(id, `slack:${channel}`);
  }

  /** Posts with chat.postMessage, retrying a few times itself; a DeliveryError says whether the Outbox retries. */
  protected async transmit(destination: string, message: RelayMessage): Promise<void> {
    const target = destination.slice('slack:'.length);
    const channel = this.channelIds.get(destination) ?? (target.startsWith('#') ? undefined : target);
    if (channel === undefined) {
      this.logger.error('dropping a message for an unresolved Slack channel', { destination, eventType: message.eventType });
      throw new DeliveryError('unknown-destination', false, `${target} did not resolve to a channel ID`);
    }
    const rendered = renderSlackMessage(message);
    const place = placement(message, this.config, this.clock.now());
    const blocks = [...rendered.blocks, ...place.extraBlocks];
    let thread = place.threadTs === undefined ? {} : { thread_ts: place.threadTs, ...(place.broadcast && { reply_broadcast: true }) };
    const backoff = new Backoff(POST_RETRY_BACKOFF, this.clock, this.random);
    let failure: SlackFailure | undefined;
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (failure !== undefined) {
        this.logger.warn('chat.postMessage failed, retrying', { destination, error: failure.reason, attempt });
        if (failure.retryAfterMs === undefined) await this.pause(backoff.nextDelay());
      }
      await this.pause(this.rateLimitedUntil - this.clock.now());
      try {
        // parse: none and no link_names: the plain-text fallback is not searched for @here or #channel either.
        const answer = await this.web.chat.postMessage({ channel, text: rendered.text, blocks, ...thread, parse: 'none', link_names: false, unfurl_links: false, unfurl_media: false });
        this.posted(message, place, rendered.blocks[0].text.text, answer.ts);
        if (place.edit) this.editRoot(destination, channel, place.edit, 0);
        return;
      } catch (error) {
        failure = classifyFailure(error);
        if (failure.permanent && 'thread_ts' in thread) {
          // The root is gone (deleted, or the channel's history cut): the message goes in the channel instead.
          this.logger.warn('cannot post in the thread of a problem, posting in the channel', { destination, error: failure.reason });
          thread = {};
          attempt--;
          continue;
        }
        if (failure.permanent) {
          this.logger.error('Slack refused a message, dropping it', { destination, eventType: message.eventType, error: failure.reason });
          throw new DeliveryError('refused', false, failure.reason);
        }
        if (failure.retryAfterMs !== undefined) this.rateLimitedUntil = this.clock.now() + failure.retryAfterMs;
      }
    }
    // The loop ran at least once (retries >= 0), so there is a failure to tell.
    const reason = failure!.retryAfterMs === undefined ? 'unavailable' : 'rate-limited';
    throw new DeliveryError(reason, true, `chat.postMessage failed: ${failure!.reason}`);
  }

  /** A problem's first message is posted: its ts (and its text, when it is about that object alone) is kept with the problem. */
  private posted(message: RelayMessage, place: SlackPlacement, text: string, ts: string | undefined): void {
    if (ts === undefined) return;
    const own = place.opens.length === 1 && message.objects === undefined ? text : undefined;
    for (const link of place.opens) link.onRoot?.(ts, own);
  }

  /**
   * Edits a problem's root to its current state. Not through the outbox: an edit never holds a
   * message back (Slack limits chat.update apart from posts), but it waits out a 429 like them;
   * a failed edit is retried up to `retries` times, then logged.
   */
  private editRoot(destination: string, channel: string, edit: NonNullable<SlackPlacement['edit']>, attempt: number): void {
    const run = async () => {
      await this.pause(this.rateLimitedUntil - this.clock.now());
      try {
        await this.web.chat.update({ channel, ts: edit.ts, text: edit.text, blocks: edit.blocks, parse: 'none', link_names: false });
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.retryAfterMs !== undefined) this.rateLimitedUntil = this.clock.now() + failure.retryAfterMs;
        if (failure.permanent || attempt >= this.config.retries) {
          this.logger.warn('could not edit the first message of a problem', { destination, error: failure.reason, attempts: attempt + 1 });
          return;
        }
        this.later(failure.retryAfterMs ?? POST_RETRY_BACKOFF.initialDelayMs * 2 ** attempt, () => this.editRoot(destination, channel, edit, attempt + 1));
      }
    };
    void run();
  }

  /** Waits on the injected clock. After close() it never ends: nothing is to be sent any more. */
  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private later(ms: number, run: () => void): void {
    if (this.closing) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private async openSocket(): Promise<void> {
    if (this.closing) return;
    this.socketOpenedAt = this.clock.now();
    try {
      await this.socket.start();
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.permanent) {
        this.logger.error(`Slack refused the Socket Mode connection: messages people write will not arrive${tokenAdvice(failure.reason, 'app_token')}`, { error: failure.reason });
      } else {
        this.socketDown(failure.reason);
      }
      return;
    }
    if (this.closing) {
      // close() ran while this connection was being opened.
      await this.socket.disconnect();
      return;
    }
    this.socketUp = true;
    this.reconnect.connected();
    this.logger.info('Slack Socket Mode connected');
  }

  /** Schedules one reconnect; a failed start reports both its end and its error, hence the guard. */
  private socketDown(reason: string): void {
    const delayMs = this.reconnect.schedule();
    if (delayMs === undefined) return;
    if (this.socketUp) {
      // Slack recycles connections every few hours: an end is routine, a failed attempt is not.
      this.logger.info('Slack Socket Mode connection ended, reconnecting', { reason, retryInMs: delayMs });
    } else {
      this.logger.warn('Slack Socket Mode connection failed, retrying', { reason, retryInMs: delayMs });
    }
    this.socketUp = false;
  }

  private async receive(envelope: SocketModeEnvelope): Promise<void> {
    // Slack redelivers what is not acked within 3 seconds, so every envelope is acked first.
    try {
      await envelope.ack();
      /* c8 ignore start */
    } catch (error) {
      // ack() fails only on a socket that is not open, and envelopes are handed over while it is;
      // but a rejection here would end the process.
      this.logger.warn('could not ack a Socket Mode envelope', { type: envelope.type, error });
    }
    /* c8 ignore stop */
    if (envelope.type !== 'events_api') return;
    const message = this.incomingMessage(envelope.body as EventCallback);
    if (message !== undefined) this.emit(message);
  }

  private incomingMessage({ event_id: eventId, event }: EventCallback): IncomingMessage | undefined {
    if (event?.type !== 'message' || event.user === undefined || event.channel === undefined || event.text === undefined) return undefined;
    // Subtypes are edits, joins, bot posts and the like: nothing a person just wrote to the relay.
    // Bots, this one included, never command it.
    if (event.subtype !== undefined || event.bot_id !== undefined || event.user === this.ownUserId) return undefined;
    // Written before this connection (redelivered after a reconnect): history, never a command.
    const writtenMs = Number(event.ts) * 1000;
    if (this.socketOpenedAt !== undefined && writtenMs < this.socketOpenedAt - REPLAY_SKEW_MS) {
      this.logger.info('ignored a message written before the Socket Mode connection', { channel: event.channel, user: event.user, ts: event.ts });
      return undefined;
    }
    if (eventId !== undefined) {
      if (this.recentEventIds.has(eventId)) return undefined;
      this.recentEventIds.add(eventId);
      if (this.recentEventIds.size > RECENT_EVENT_LIMIT) this.recentEventIds.delete(this.recentEventIds.values().next().value!);
    }
    return {
      destination: this.destinationsById.get(event.channel) ?? `slack:${event.channel}`,
      text: unescapeSlackText(event.text),
      direct: event.channel_type === 'im',
      sender: { identity: `slack:${event.user}`, displayName: event.user },
    };
  }
}
