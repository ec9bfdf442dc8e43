/**
 * The IRC backend: one connection (irc-framework) that joins the configured channels, relays
 * messages to them through an Outbox (queue while disconnected, send throttle), and hands on
 * what people write, with the sender's services account as identity.
 *
 * Destinations: `irc:#channel` for each configured channel, and `irc:<nick>` for direct
 * messages (replies to someone who wrote to the relay directly).
 *
 * Reconnects are our own, not irc-framework's: its auto-reconnect gives up after a few attempts
 * and runs on its own timers; ours never gives up, and uses the configured backoff and the
 * injected clock.
 *
 * Identity: the account the server vouches for, never the nick (anyone can take "alice_", or
 * "alice" while she is away). From the IRCv3 account-tag on each message when the server offers
 * it; otherwise from extended-join and account-notify for people in our channels, and WHOIS for
 * everyone else.
 *
 * With IRCv3 echo-message, a line counts as sent only when the server echoes it back: a line lost
 * with a dying connection is sent again after the reconnect, and the server's flood control
 * (which holds lines back rather than refusing them) paces us instead of disconnecting us. Lines
 * to different channels or nicks wait for their echoes together, at most MAX_LINES_IN_FLIGHT
 * and MAX_BYTES_IN_FLIGHT (and at most the configured burst) at once, so what the server holds
 * back for us stays small.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, type IrcMessage, type MessageEvent, type Transport, type TransportOptions, type WhoisEvent } from 'irc-framework';
import { systemClock, type Clock, type Random, type TimerHandle } from '../../clock.js';
import { ircDestinations, type IrcChannel, type IrcConfig } from './config.js';
import { formatGap } from '../../duration.js';
import { Backoff } from '../../util/backoff.js';
import type { Logger } from '../../log.js';
import type { RelayMessage } from '../../message.js';
import { REPLAY_SKEW_MS, type BackendCounters, type BackendDependencies, type ChatBackend, type IncomingMessage } from '../backend.js';
import { longestLineBytes, plainText, renderIrcLines, textBudget } from './render.js';
import { connectionOutbox, type Outbox } from '../outbox.js';

export interface IrcBackendDependencies extends BackendDependencies {
  clock?: Clock;
  random?: Random;
  /** Told each PRIVMSG line as it is written to the connection: for the latency benchmark. */
  onLineWritten?: (line: string) => void;
}

const DESTINATION_PREFIX = 'irc:';

/** Before rejoining after a KICK: not fighting the operator who kicked, and missing little. Repeated refusals back off from here. */
export const REJOIN_DELAY_MS = 3_000;
/** Between attempts to take back the configured nick; usually our own previous connection holds it until the server times it out. */
export const NICK_REGAIN_INTERVAL_MS = 60_000;
/** After a NickServ IDENTIFY, the wait for the login before joining anyway: channels may admit only logged-in users. */
export const NICKSERV_LOGIN_TIMEOUT_MS = 10_000;
/** A TCP (and TLS) connect still not done after this has failed. */
export const CONNECT_TIMEOUT_MS = 30_000;
/**
 * A TLS handshake still not done this long after the TCP connect has failed. A plain-text IRC
 * server answers a ClientHello with nothing at all (InspIRCd waits for a line), so without this
 * a wrong `tls: true` would look like a slow network for the whole CONNECT_TIMEOUT_MS.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 5_000;
/** OpenSSL's errors when the other end does not speak TLS: it sent plain text where a TLS record should be. */
const NOT_TLS_ERRORS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_UNKNOWN_PROTOCOL']);
const NOT_TLS_HINT = 'is this port TLS? (set tls: false for a plain-text port, usually 6667)';
/** What to do about a refused SASL login, by irc-framework's reason. */
function saslFix(reason: string): string {
  switch (reason) {
    case 'fail':
      return 'the account or password is wrong: check chat.irc.sasl_account and sasl_password (or sasl_password_file)';
    case 'capability_missing':
      return 'the server offers no SASL: its services (NickServ, SaslServ) are not reachable, or the network has none (then use nickserv_password instead)';
    case 'nick_locked':
      return 'the services account is locked';
    case 'unsupported_mechanism':
      return 'the server does not accept SASL PLAIN';
    default:
      return `the server refused it (${reason})`;
  }
}
/**
 * A connection the server has not welcomed (001) this long after it began has failed: a server
 * that accepts and never answers would otherwise hold connect(), and with it the relay's start.
 */
export const REGISTRATION_TIMEOUT_MS = 2 * CONNECT_TIMEOUT_MS;
/**
 * A WHOIS (identifying a sender without account-tag) unanswered after this leaves the sender
 * unidentified: servers answer in milliseconds, and a command waits for it.
 */
export const WHOIS_TIMEOUT_MS = 5_000;
/**
 * With echo-message, the wait for the echo of a line. Flood control holds our lines back about
 * a second each, and at most MAX_LINES_IN_FLIGHT are waiting, so this only runs out when the
 * server swallowed the line without an error; it then counts as sent.
 */
export const ECHO_TIMEOUT_MS = 30_000;
/**
 * With echo-message, lines (each to a different channel or nick) waiting for their echo at once:
 * at most this many, and at most MAX_BYTES_IN_FLIGHT of them. Lines the server's flood control
 * holds back sit in its receive queue, one running a second, and a full queue gets us killed
 * ("RecvQ exceeded"). 20 lines run in well under ECHO_TIMEOUT_MS; 4 KiB is half of InspIRCd's
 * default 8 KiB queue: 10 of the longest lines, or 20 alerts of 200 bytes.
 */
export const MAX_LINES_IN_FLIGHT = 20;
export const MAX_BYTES_IN_FLIGHT = 4 * 1024;
/** close() waits this long for the server to close the connection after our QUIT. */
export const QUIT_TIMEOUT_MS = 5_000;
const QUIT_MESSAGE = 'icinga-relay stopping';

/** Replies to JOIN that mean "not now": no such channel, too many channels, full, invite only, banned, wrong key, bad name, login needed, TLS needed. */
const JOIN_REFUSALS = new Set(['403', '405', '471', '473', '474', '475', '476', '477', '489']);
/** A line to a channel that will never be delivered (moderated, banned, ...). */
const ERR_CANNOTSENDTOCHAN = '404';
/** A line to a nick that is gone; also the answer to a WHOIS for someone who left. */
const ERR_NOSUCHNICK = '401';

/** A nick as RFC 2812 spells it; anything else in a destination is refused rather than sent. */
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

/** The nick to try when `nick` is taken: nick_, nick__, then nick and three random digits. */
export function alternativeNick(nick: string, attempt: number, random: Random): string {
  if (attempt <= 2) return nick + '_'.repeat(attempt);
  return nick + String(Math.floor(random() * 1000)).padStart(3, '0');
}

export interface SocketTransportSettings {
  /** PEM CA certificates for the server's certificate; the system CAs when absent. */
  ca?: string;
  clock: Clock;
}

/**
 * An irc-framework transport over node:net or node:tls. irc-framework's own cannot take a CA,
 * so a server with a certificate from a private CA could only be reached with verification
 * off; this one always verifies, against `ca` when given.
 */
export function socketTransport(settings: SocketTransportSettings): new (options: TransportOptions) => Transport {
  return class extends SocketTransport {
    constructor(options: TransportOptions) {
      super(options, settings);
    }
  };
}

class SocketTransport extends EventEmitter implements Transport {
  private socket: Socket | undefined;
  private open = false;
  private partialLine = '';
  private error: Error | undefined;
  private connectTimer: TimerHandle | undefined;

  constructor(
    private readonly options: TransportOptions,
    private readonly settings: SocketTransportSettings,
  ) {
    super();
  }

  /** Called once: irc-framework makes a new transport for each connection. */
  connect(): void {
    const { host, port } = this.options as Required<TransportOptions>;
    const tls = this.options.tls === true;
    // No servername for an IP address: TLS forbids it in SNI, and Node then checks the certificate against the IP.
    const socket = tls ? tlsConnect({ host, port, ca: this.settings.ca, servername: isIP(host) ? undefined : host }) : netConnect({ host, port });
    this.socket = socket;
    // The decoder keeps a character split between two reads whole.
    socket.setEncoding('utf8');
    // Without Nagle's algorithm: a line written while earlier ones wait for their echo goes out at once, not after their ACK.
    socket.setNoDelay(true);
    this.connectTimer = this.settings.clock.setTimeout(
      () => socket.destroy(new Error(`no connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
    if (tls) {
      socket.once('connect', () => {
        this.settings.clock.clearTimeout(this.connectTimer);
        this.connectTimer = this.settings.clock.setTimeout(
          () => socket.destroy(new Error(`no TLS handshake from ${host}:${port} within ${TLS_HANDSHAKE_TIMEOUT_MS / 1000} s: ${NOT_TLS_HINT}`)),
          TLS_HANDSHAKE_TIMEOUT_MS,
        );
      });
    }
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      this.settings.clock.clearTimeout(this.connectTimer);
      this.open = true;
      this.emit('open');
    });
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = tls && error.code !== undefined && NOT_TLS_ERRORS.has(error.code) ? new Error(`${error.message}: ${NOT_TLS_HINT}`) : error;
    });
    socket.once('close', () => {
      this.settings.clock.clearTimeout(this.connectTimer);
      this.open = false;
      this.emit('close', this.error ?? false);
    });
  }

  private receive(chunk: string): void {
    const lines = (this.partialLine + chunk).split('\n');
    this.partialLine = lines.pop()!;
    for (const line of lines) this.emit('line', line.replace(/\r$/, ''));
  }

  /** irc-framework only writes while connected, so there is a socket. */
  writeLine(line: string, callback?: (error?: Error | null) => void): void {
    this.socket!.write(line + '\r\n', callback);
  }

  close(force: boolean): void {
    if (force || !this.open) this.socket!.destroy();
    else this.socket!.end();
  }

  /** Called on the old transport when irc-framework reconnects. */
  disposeSocket(): void {
    this.settings.clock.clearTimeout(this.connectTimer);
    this.socket!.removeAllListeners().on('error', () => {}).destroy();
    this.socket = undefined;
    this.open = false;
  }

  setEncoding(encoding: string): boolean {
    // IRCv3 and every current network use UTF-8; irc-framework falls back to it when refused.
    return encoding === 'utf8';
  }
}

/** Rejoining one channel after a KICK or a refusal: its own backoff, so one channel's trouble does not slow another. */
interface ChannelRejoin {
  backoff: Backoff;
  timer?: TimerHandle;
}

/** A line sent and not yet echoed back by the server (echo-message). */
interface PendingLine {
  target: string;
  /** Without an error: delivered, or refused for good. With one: try again later. */
  settle(error?: Error): void;
}

export class IrcBackend implements ChatBackend {
  readonly name = 'irc';
  readonly destinations: readonly string[];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly onLineWritten: ((line: string) => void) | undefined;
  private readonly client = new Client();
  private readonly outbox: Outbox;
  /** Reconnects scheduled since the backend was made (for /metrics). */
  private reconnects = 0;
  private readonly backoff: Backoff;
  private handler: ((message: IncomingMessage) => void) | undefined;
  /** Welcomed by the server on the current connection. */
  private registered = false;
  /** From client.connect() until irc-framework reports the connection closed. */
  private connectionActive = false;
  private ready = false;
  private closing = false;
  /** Our nick on this connection. */
  private nick: string;
  private nickAttempts = 0;
  /** Configured channel names we are in. */
  private readonly joined = new Set<string>();
  private readonly rejoins = new Map<string, ChannelRejoin>();
  private reconnectTimer: TimerHandle | undefined;
  private nickTimer: TimerHandle | undefined;
  private loginTimer: TimerHandle | undefined;
  private registrationTimer: TimerHandle | undefined;
  /** Lines sent and not yet echoed back, oldest first: the server answers lines in the order it got them. */
  private readonly pendingLines: PendingLine[] = [];
  /**
   * Accounts (false: none) of people in our channels, by lower-case nick, from extended-join,
   * account-notify and WHOIS: only while the server tells us when they change (account-notify,
   * NICK, QUIT, PART), so never for someone who shares no channel with us.
   */
  private readonly accounts = new Map<string, string | false>();
  /** The configured channels each person we share one with is in, by lower-case nick (NAMES, JOIN, PART, KICK, QUIT, NICK). */
  private readonly members = new Map<string, Set<string>>();
  /** WHOIS lookups under way, by lower-case nick: one per nick, however many of its lines wait for it. */
  private readonly whoisUnderWay = new Map<string, Promise<string | undefined>>();
  /** When we joined each configured channel, by the server's clock where it tells: older lines there are history. */
  private readonly joinedAt = new Map<string, number>();
  /** When this connection was welcomed, less REPLAY_SKEW_MS: older direct messages are history (a bouncer's playback). */
  private registeredAt = 0;
  /** Ends every WHOIS still waiting for its answer. */
  private readonly lookups = new Set<() => void>();
  private firstAttemptDone: (() => void) | undefined;
  /** The server refused our SASL login on the current connection. */
  private saslFailed = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly config: IrcConfig,
    dependencies: IrcBackendDependencies,
  ) {
    this.logger = dependencies.logger.child('irc');
    this.clock = dependencies.clock ?? systemClock;
    this.random = dependencies.random ?? Math.random;
    this.onLineWritten = dependencies.onLineWritten;
    this.nick = config.nick;
    this.destinations = ircDestinations(config);
    this.backoff = new Backoff({ initialDelayMs: config.reconnect.minMs, maxDelayMs: config.reconnect.maxMs }, this.clock, this.random);
    this.outbox = connectionOutbox(config, {
      bucketKey: () => 'connection',
      transmit: (destination, message) => this.transmit(destination, message),
      // Each message sends its lines one after another: messages on their way are lines waiting for their echo.
      maxInFlight: Math.min(config.rate.burst, MAX_LINES_IN_FLIGHT),
      inFlightBytes: { max: MAX_BYTES_IN_FLIGHT, of: (destination, message) => longestLineBytes(message, destination.slice(DESTINATION_PREFIX.length)) },
      clock: this.clock,
      logger: this.logger,
      logSent: dependencies.logDeliveries,
    });
    this.listen();
  }

  /** Connects; resolves once joined, or once the first attempt failed or a channel refused us (retries go on in the background). */
  connect(): Promise<void> {
    if (this.connectionActive || this.reconnectTimer || this.closing) return Promise.resolve();
    const firstAttempt = new Promise<void>((resolve) => {
      this.firstAttemptDone = resolve;
    });
    this.open();
    return firstAttempt;
  }

  async send(destination: string, message: RelayMessage): Promise<void> {
    const target = destination.slice(DESTINATION_PREFIX.length);
    if (!this.destinations.includes(destination) && !(destination.startsWith(DESTINATION_PREFIX) && NICK.test(target))) {
      throw new Error(`${destination} is not a destination of the IRC backend (configured channels, or irc:<nick>)`);
    }
    this.outbox.enqueue(destination, message);
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handler = handler;
  }

  /** Our nick now, which after a collision is a fallback one: the configured nick is someone else's then. */
  addressNames(): string[] {
    return [this.nick];
  }

  /** QUITs and resolves once the connection is closed; nothing is sent or retried after. */
  close(): Promise<void> {
    this.closed ??= this.quit();
    return this.closed;
  }

  private async quit(): Promise<void> {
    this.closing = true;
    this.outbox.close();
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.settleFirstAttempt();
    if (!this.connectionActive) return;
    const closed = new Promise<void>((resolve) => this.client.once('close', resolve));
    if (this.client.connected) this.client.quit(QUIT_MESSAGE);
    else this.client.connection.end();
    // A server that does not close after QUIT is cut off.
    const timer = this.clock.setTimeout(() => this.client.connection.end(undefined, true), QUIT_TIMEOUT_MS);
    await closed;
    this.clock.clearTimeout(timer);
  }

  private open(): void {
    this.connectionActive = true;
    this.nick = this.config.nick;
    this.nickAttempts = 0;
    const { host, port, tls, ca, nick, username, realname, sasl } = this.config;
    this.logger.info('connecting to the IRC server', { host, port, tls });
    this.client.connect({
      host,
      port,
      tls,
      nick,
      username,
      gecos: realname,
      ...(sasl && { account: { account: sasl.account, password: sasl.password }, sasl_disconnect_on_fail: true }),
      auto_reconnect: false,
      enable_echomessage: true,
      version: 'icinga-relay',
      transport: socketTransport({ ca, clock: this.clock }),
    });
    this.registrationTimer = this.clock.setTimeout(() => {
      this.registrationTimer = undefined;
      this.logger.error('the IRC server did not welcome us; disconnecting', { host, port, waitedMs: REGISTRATION_TIMEOUT_MS });
      this.client.connection.end(undefined, true);
    }, REGISTRATION_TIMEOUT_MS);
  }

  private listen(): void {
    const client = this.client;
    client.on('registered', (event) => this.onRegistered(event.nick));
    client.on('nick in use', (event) => this.onNickInUse(event.nick));
    client.on('sasl failed', (event) => this.onSaslFailed(event.reason, event.message));
    client.on('loggedin', (event) => this.onLoggedIn(event.account));
    client.on('join', (event) => {
      if (this.isSelf(event.nick)) this.onJoined(event.channel, event.time);
      else {
        this.addMember(event.nick, event.channel);
        if (event.account !== undefined && this.tracksAccounts()) this.accounts.set(client.caseLower(event.nick), event.account);
      }
    });
    client.on('userlist', (event) => {
      for (const user of event.users) if (!this.isSelf(user.nick)) this.addMember(user.nick, event.channel);
    });
    client.on('part', (event) => this.onLeft(event.nick, event.channel, `parted (${event.message})`));
    client.on('kick', (event) => this.onLeft(event.kicked, event.channel, `kicked by ${event.nick} (${event.message})`));
    client.on('quit', (event) => {
      this.accounts.delete(client.caseLower(event.nick));
      this.members.delete(client.caseLower(event.nick));
    });
    client.on('nick', (event) => this.onNick(event.nick, event.new_nick));
    client.on('account', (event) => {
      if (this.keepsAccountOf(event.nick)) this.accounts.set(client.caseLower(event.nick), event.account);
    });
    client.on('privmsg', (event) => this.onPrivmsg(event));
    client.use((_client, rawMiddleware) =>
      rawMiddleware.use((_command, message, _line, _client, next) => {
        this.onServerLine(message);
        next();
      }),
    );
    client.on('socket close', (error) => this.onSocketClose(error || undefined));
    client.on('close', () => this.onClose());
  }

  private isSelf(nick: string): boolean {
    return this.client.caseCompare(nick, this.nick);
  }

  private configuredChannel(name: string): IrcChannel | undefined {
    return this.config.channels.find((channel) => this.client.caseCompare(channel.name, name));
  }

  private addMember(nick: string, name: string): void {
    const channel = this.configuredChannel(name);
    if (!channel) return;
    const key = this.client.caseLower(nick);
    const channels = this.members.get(key) ?? new Set<string>();
    channels.add(channel.name);
    this.members.set(key, channels);
  }

  /** Whether the server tells us when `nick`'s account changes: account-notify, for someone in one of our channels. */
  private keepsAccountOf(nick: string): boolean {
    return this.client.network.cap.isEnabled('account-notify') && this.members.has(this.client.caseLower(nick));
  }

  /** Whether extended-join and account-notify keep `accounts` right for everyone in our channels. */
  private tracksAccounts(): boolean {
    return this.client.network.cap.isEnabled('extended-join') && this.client.network.cap.isEnabled('account-notify');
  }

  private onSaslFailed(reason: string, message?: string): void {
    this.saslFailed = true;
    this.logger.error(`SASL login failed: ${saslFix(reason)}; disconnecting, retrying in ${formatGap(this.config.reconnect.maxMs)}`, {
      account: this.config.sasl?.account,
      reason,
      message,
    });
  }

  private onRegistered(nick: string): void {
    this.clock.clearTimeout(this.registrationTimer);
    this.registrationTimer = undefined;
    // irc-framework reports a server without the sasl capability only when it acknowledged some
    // other capability; with none at all it registers us without a login. Identity matters here.
    if (this.config.sasl && !this.client.network.cap.isEnabled('sasl')) {
      this.onSaslFailed('capability_missing');
      this.client.connection.end();
      return;
    }
    this.registered = true;
    this.registeredAt = this.clock.now() - REPLAY_SKEW_MS;
    this.nick = nick;
    this.backoff.connected();
    this.logger.info('registered on the IRC server', { nick });
    if (!this.client.caseCompare(nick, this.config.nick)) this.scheduleNickRegain();
    if (this.config.nickservPassword === undefined) {
      this.joinChannels();
      return;
    }
    // The account name, not only the password: our nick may be an alternative one.
    this.client.say('NickServ', `IDENTIFY ${this.config.nick} ${this.config.nickservPassword}`);
    this.loginTimer = this.clock.setTimeout(() => {
      this.logger.warn('no NickServ login after IDENTIFY; joining anyway', { account: this.config.nick, waitedMs: NICKSERV_LOGIN_TIMEOUT_MS });
      this.joinChannels();
    }, NICKSERV_LOGIN_TIMEOUT_MS);
  }

  private onLoggedIn(account: string | false): void {
    if (this.loginTimer === undefined) return;
    this.logger.info('logged in with NickServ', { account });
    this.joinChannels();
  }

  private joinChannels(): void {
    this.clock.clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    for (const channel of this.config.channels) this.client.join(channel.name, channel.key);
  }

  private onNickInUse(nick: string): void {
    if (this.registered) {
      this.logger.debug('the configured nick is still in use', { nick });
      return;
    }
    this.nick = alternativeNick(this.config.nick, ++this.nickAttempts, this.random);
    this.logger.warn('nick in use, trying another', { nick, alternative: this.nick });
    this.client.changeNick(this.nick);
  }

  private onNick(from: string, to: string): void {
    if (!this.isSelf(from)) {
      // The same connection, so the same account, under the new nick; the old nick is free for anyone.
      const [before, after] = [this.client.caseLower(from), this.client.caseLower(to)];
      const account = this.accounts.get(before);
      const channels = this.members.get(before);
      this.accounts.delete(before);
      this.members.delete(before);
      this.accounts.delete(after);
      if (channels !== undefined) this.members.set(after, channels);
      if (account !== undefined) this.accounts.set(after, account);
      return;
    }
    this.nick = to;
    if (this.client.caseCompare(to, this.config.nick)) {
      this.logger.info('took back the configured nick', { nick: to });
      this.clock.clearTimeout(this.nickTimer);
      this.nickTimer = undefined;
    } else {
      this.logger.warn('our nick was changed', { nick: to, configured: this.config.nick });
      this.scheduleNickRegain();
    }
  }

  private scheduleNickRegain(): void {
    if (this.nickTimer !== undefined) return;
    // Cleared when we get the nick back (onNick) or lose the connection.
    this.nickTimer = this.clock.setTimeout(() => {
      this.nickTimer = undefined;
      this.client.changeNick(this.config.nick);
      this.scheduleNickRegain();
    }, NICK_REGAIN_INTERVAL_MS);
  }

  private rejoinState(channel: string): ChannelRejoin {
    let rejoin = this.rejoins.get(channel);
    if (!rejoin) {
      const backoff = new Backoff({ initialDelayMs: REJOIN_DELAY_MS, maxDelayMs: Math.max(REJOIN_DELAY_MS, this.config.reconnect.maxMs) }, this.clock, this.random);
      rejoin = { backoff };
      this.rejoins.set(channel, rejoin);
    }
    return rejoin;
  }

  private onJoined(name: string, serverTime: number | undefined): void {
    const channel = this.configuredChannel(name);
    if (!channel) return;
    this.joined.add(channel.name);
    // The server's time of our JOIN when it says (no clock skew), else ours with a margin.
    this.joinedAt.set(channel.name, serverTime ?? this.clock.now() - REPLAY_SKEW_MS);
    this.rejoinState(channel.name).backoff.connected();
    this.logger.info('joined', { channel: channel.name });
    this.updateReadiness();
  }

  private onLeft(nick: string, name: string, how: string): void {
    if (!this.isSelf(nick)) {
      const key = this.client.caseLower(nick);
      this.accounts.delete(key);
      const channels = this.members.get(key);
      channels?.delete(this.configuredChannel(name)?.name ?? '');
      if (channels?.size === 0) this.members.delete(key);
      return;
    }
    const channel = this.configuredChannel(name);
    if (!channel) return;
    this.joined.delete(channel.name);
    // Who is still with us elsewhere is unknown now; WHOIS answers until they join again.
    this.accounts.clear();
    this.members.clear();
    for (const pending of this.pendingLines.filter((line) => this.client.caseCompare(line.target, channel.name))) {
      pending.settle(new Error(`no longer in ${channel.name}`));
    }
    this.updateReadiness();
    this.scheduleRejoin(channel, how);
  }

  private scheduleRejoin(channel: IrcChannel, reason: string): void {
    const rejoin = this.rejoinState(channel.name);
    const delayMs = rejoin.backoff.nextDelay();
    this.logger.warn('not in channel, rejoining later', { channel: channel.name, reason, inMs: delayMs });
    this.clock.clearTimeout(rejoin.timer);
    // Cleared when the connection closes.
    rejoin.timer = this.clock.setTimeout(() => {
      rejoin.timer = undefined;
      this.client.join(channel.name, channel.key);
    }, delayMs);
  }

  private updateReadiness(): void {
    const ready = this.registered && this.config.channels.every((channel) => this.joined.has(channel.name));
    if (ready === this.ready) return;
    this.ready = ready;
    // A message for a channel we are not in would be lost: everything waits until we are in all of them.
    this.outbox.setReady(ready);
    if (ready) this.settleFirstAttempt();
  }

  private settleFirstAttempt(): void {
    this.firstAttemptDone?.();
    this.firstAttemptDone = undefined;
  }

  /** Numerics irc-framework has no event for, or none that names the channel. */
  private onServerLine(message: IrcMessage): void {
    // Every numeric has our nick first; these have the channel or nick they are about second, and a reason last.
    const [, subject] = message.params;
    const reason = message.params[message.params.length - 1];
    if (JOIN_REFUSALS.has(message.command)) {
      const channel = this.configuredChannel(subject);
      if (channel && !this.joined.has(channel.name)) {
        this.logger.error('the server refused to let us join', { channel: channel.name, numeric: message.command, reason });
        this.scheduleRejoin(channel, reason);
        this.settleFirstAttempt();
      }
    }
    if (message.command !== ERR_CANNOTSENDTOCHAN && message.command !== ERR_NOSUCHNICK) return;
    const refused = this.oldestPendingTo(subject);
    // Without echo-message there is no pending line, but a 404 can only be about one of ours.
    if (refused || message.command === ERR_CANNOTSENDTOCHAN) {
      this.logger.error('the server refused a message; it is dropped', { target: subject, numeric: message.command, reason });
    }
    refused?.settle();
  }

  private onSocketClose(error: Error | undefined): void {
    const wasRegistered = this.registered;
    this.registered = false;
    this.joined.clear();
    this.accounts.clear();
    this.members.clear();
    this.updateReadiness();
    this.clock.clearTimeout(this.nickTimer);
    this.nickTimer = undefined;
    this.clock.clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    this.clock.clearTimeout(this.registrationTimer);
    this.registrationTimer = undefined;
    for (const rejoin of this.rejoins.values()) {
      this.clock.clearTimeout(rejoin.timer);
      rejoin.timer = undefined;
    }
    for (const pending of [...this.pendingLines]) pending.settle(new Error('the connection closed'));
    for (const finish of [...this.lookups]) finish();
    if (this.closing) return;
    if (wasRegistered) this.logger.warn('IRC connection lost', { error });
    // After a failed SASL login the connection worked: that error said what went wrong.
    else if (!this.saslFailed) this.logger.error('could not connect to the IRC server', { host: this.config.host, port: this.config.port, error });
  }

  private onClose(): void {
    this.connectionActive = false;
    this.settleFirstAttempt();
    if (this.closing) return;
    // A refused login stays refused until someone fixes the config or the services: no hammering.
    const delayMs = this.saslFailed ? this.config.reconnect.maxMs : this.backoff.nextDelay();
    this.saslFailed = false;
    this.reconnects++;
    this.logger.info('reconnecting to the IRC server later', { inMs: delayMs });
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delayMs);
  }

  /** Registered on the server and in every configured channel. */
  get connected(): boolean {
    return this.ready;
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
    return { reconnects: this.reconnects, droppedMessages: this.outbox.droppedTotal, droppedReplies: this.outbox.repliesDroppedTotal };
  }

  private async transmit(destination: string, message: RelayMessage): Promise<void> {
    const target = destination.slice(DESTINATION_PREFIX.length);
    for (const line of renderIrcLines(message, { colours: this.config.colours, maxBytes: textBudget(target) })) {
      await this.sendLine(target, line);
    }
  }

  /** The line the server's next echo of, or refusal for, `target` is about. */
  private oldestPendingTo(target: string): PendingLine | undefined {
    return this.pendingLines.find((pending) => this.client.caseCompare(pending.target, target));
  }

  private sendLine(target: string, text: string): Promise<void> {
    if (!this.ready) return Promise.reject(new Error('not connected to IRC'));
    const line = `PRIVMSG ${target} :${text}`;
    if (!this.client.network.cap.isEnabled('echo-message')) {
      const written = new Promise<void>((resolve, reject) => this.client.connection.write(line, (error) => (error ? reject(error) : resolve())));
      this.onLineWritten?.(line);
      return written;
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.logger.warn('the server did not echo a message back; counting it as sent', { target, waitedMs: ECHO_TIMEOUT_MS });
        pending.settle();
      }, ECHO_TIMEOUT_MS);
      const pending: PendingLine = {
        target,
        settle: (error) => {
          this.clock.clearTimeout(timer);
          const index = this.pendingLines.indexOf(pending);
          if (index !== -1) this.pendingLines.splice(index, 1);
          if (error) reject(error);
          else resolve();
        },
      };
      this.pendingLines.push(pending);
      this.client.connection.write(line);
      this.onLineWritten?.(line);
    });
  }

  private onPrivmsg(event: MessageEvent): void {
    if (event.from_server) return;
    const direct = this.isSelf(event.target);
    const channel = direct ? undefined : this.configuredChannel(event.target);
    // Checked first: a replay holds our own old lines too, which are no echo of what waits now.
    if ((direct || channel) && this.isHistory(event, channel?.name)) {
      this.logger.debug('ignored a replayed line', { from: event.nick, target: event.target, batch: event.batch?.type, time: event.time });
      return;
    }
    if (this.isSelf(event.nick)) {
      // Our own line, echoed back: delivered.
      this.oldestPendingTo(event.target)?.settle();
      return;
    }
    if (!direct && !channel) return;
    // Known without asking: from the account-tag, or from extended-join and account-notify.
    const known = this.client.network.cap.isEnabled('account-tag') ? (event.account ?? false) : this.accounts.get(this.client.caseLower(event.nick));
    const message: IncomingMessage = {
      destination: DESTINATION_PREFIX + (channel ? channel.name : event.nick),
      text: plainText(event.message),
      direct,
      sender: {
        identity: known ? `irc:${known}` : undefined,
        displayName: event.nick,
        // A nick is free to change; user@host only with a new connection, which the server paces.
        rateKey: `irc:${event.ident ?? ''}@${event.hostname ?? ''}`,
        // A WHOIS only for a line the relay acts on, and only once its sender's budget was charged.
        ...(known === undefined && { identify: async () => this.identify(event.nick).then((account) => (account === undefined ? undefined : `irc:${account}`)) }),
      },
    };
    try {
      this.handler?.(message);
    } catch (error) {
      this.logger.error('handling an incoming IRC message failed', { from: event.nick, error });
    }
  }

  /**
   * Lines a server or bouncer replays (InspIRCd's chanhistory, IRCv3 chathistory, ZNC playback) are
   * history, never commands: they come in a batch, or carry a server-time from before we joined
   * the channel (or, for direct messages, before this connection).
   */
  private isHistory(event: MessageEvent, channel: string | undefined): boolean {
    if (event.batch !== undefined) return true;
    if (event.time === undefined) return false;
    const since = channel === undefined ? this.registeredAt : this.joinedAt.get(channel);
    return since !== undefined && event.time < since;
  }

  /**
   * The account of `nick`: as known since the line came (an earlier WHOIS, account-notify), or
   * from a WHOIS, one per nick at a time; lookups for different nicks run side by side.
   */
  private identify(nick: string): Promise<string | undefined> {
    const key = this.client.caseLower(nick);
    const known = this.accounts.get(key);
    if (known !== undefined) return Promise.resolve(known || undefined);
    let lookup = this.whoisUnderWay.get(key);
    if (lookup === undefined) {
      lookup = this.whoisAccount(nick).finally(() => this.whoisUnderWay.delete(key));
      this.whoisUnderWay.set(key, lookup);
    }
    return lookup;
  }

  private whoisAccount(nick: string): Promise<string | undefined> {
    if (!this.registered) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (account?: string) => {
        this.client.removeListener('whois', onWhois);
        this.clock.clearTimeout(timer);
        this.lookups.delete(finish);
        resolve(account);
      };
      const onWhois = (event: WhoisEvent) => {
        if (!this.client.caseCompare(event.nick, nick)) return;
        // Kept here, before any later line is read: an account change the server sends after this answer must win.
        if (this.keepsAccountOf(nick)) this.accounts.set(this.client.caseLower(nick), event.account ?? false);
        finish(event.account);
      };
      const timer = this.clock.setTimeout(() => {
        this.logger.warn('no answer to WHOIS; the sender stays unidentified', { nick, waitedMs: WHOIS_TIMEOUT_MS });
        finish();
      }, WHOIS_TIMEOUT_MS);
      this.lookups.add(finish);
      this.client.on('whois', onWhois);
      this.client.raw('WHOIS', nick);
    });
  }
}
