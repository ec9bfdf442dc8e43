/**
 * The part of irc-framework 4.14 (CommonJS, no type declarations of its own) that icinga-relay
 * uses, typed from its source: src/client.js, src/connection.js and src/commands/handlers/.
 */
declare module 'irc-framework' {
  import type { EventEmitter } from 'node:events';

  /** What a transport gets: the options the client was connected with. */
  export type TransportOptions = ClientOptions;

  /**
   * A connection to the server, created by the client for each connect(). It emits 'open' once
   * the socket is usable, 'line' for each line received (without CR LF), and 'close' with the
   * socket's error or false.
   */
  export interface Transport extends EventEmitter {
    connect(): void;
    writeLine(line: string, callback?: (error?: Error | null) => void): void;
    /** force: destroy the socket instead of ending it. */
    close(force: boolean): void;
    disposeSocket(): void;
    /** True if the encoding was taken. */
    setEncoding(encoding: string): boolean;
  }

  export interface ClientOptions {
    host?: string;
    port?: number;
    tls?: boolean;
    nick?: string;
    username?: string;
    gecos?: string;
    /** SASL PLAIN credentials. */
    account?: { account: string; password: string };
    sasl_disconnect_on_fail?: boolean;
    auto_reconnect?: boolean;
    enable_echomessage?: boolean;
    /** The CTCP VERSION reply; none when null. */
    version?: string | null;
    transport?: new (options: TransportOptions) => Transport;
  }

  /** A parsed line from the server, as raw middleware sees it. */
  export interface IrcMessage {
    /** Upper case, or the three digits of a numeric. */
    command: string;
    params: string[];
  }

  export type RawMiddleware = (command: string, message: IrcMessage, rawLine: string, client: Client, next: (error?: Error) => void) => void;

  interface Middlewares {
    use(middleware: RawMiddleware): void;
  }

  export interface MessageEvent {
    /** Empty for messages from the server itself (from_server). */
    nick: string;
    /** A channel, or the receiving nick. */
    target: string;
    message: string;
    /** The IRCv3 account-tag: the sender's services account. */
    account?: string;
    from_server: boolean;
    ident?: string;
    hostname?: string;
    /** The IRCv3 server-time tag, in ms since the epoch: when the server first saw the line (a replay keeps the old time). */
    time?: number;
    /** The IRCv3 batch the line came in (chathistory, znc.in/playback, ...), when it came in one. */
    batch?: { id: string; type: string; params: string[] };
  }

  export interface RegisteredEvent {
    nick: string;
  }

  export interface UserlistEvent {
    channel: string;
    users: { nick: string }[];
  }

  export interface JoinEvent {
    nick: string;
    channel: string;
    /** With extended-join: the account, or false when not logged in. Undefined without it. */
    account?: string | false;
    /** The IRCv3 server-time tag, in ms since the epoch. */
    time?: number;
  }

  export interface PartEvent {
    nick: string;
    channel: string;
    message: string;
  }

  export interface KickEvent {
    /** Who was kicked. */
    kicked: string;
    /** Who kicked. */
    nick: string;
    channel: string;
    message: string;
  }

  export interface QuitEvent {
    nick: string;
  }

  export interface NickEvent {
    nick: string;
    new_nick: string;
  }

  /** account-notify (and RPL_LOGGEDIN/OUT for the client itself): false when logged out. */
  export interface AccountEvent {
    nick: string;
    account: string | false;
  }

  export interface NickInUseEvent {
    nick: string;
  }

  export interface WhoisEvent {
    nick: string;
    /** Present when the nick is logged in to a services account. */
    account?: string;
  }

  export interface SaslFailedEvent {
    reason: string;
    message?: string;
  }

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    readonly connected: boolean;
    user: { nick: string };
    network: {
      cap: { isEnabled(name: string): boolean };
    };
    connection: {
      /** Writes one line; the callback runs once the socket took it, with an error if it could not. */
      write(line: string, callback?: (error?: Error | null) => void): boolean;
      /** Sends `line` if given, then closes; hadError leaves the disconnect unrequested. */
      end(line?: string, hadError?: boolean): void;
    };
    connect(options?: ClientOptions): void;
    /** Sends one line as is, or builds one from its parts. */
    raw(...parts: string[]): void;
    say(target: string, message: string): void;
    join(channel: string, key?: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
    /** Equality of nicks and channel names under the server's CASEMAPPING. */
    caseCompare(a: string, b: string): boolean;
    caseLower(name: string): string;
    use(plugin: (client: Client, rawMiddleware: Middlewares, parsedMiddleware: unknown) => void): this;

    on(event: 'registered', listener: (event: RegisteredEvent) => void): this;
    on(event: 'privmsg' | 'notice', listener: (event: MessageEvent) => void): this;
    on(event: 'join', listener: (event: JoinEvent) => void): this;
    on(event: 'part', listener: (event: PartEvent) => void): this;
    on(event: 'kick', listener: (event: KickEvent) => void): this;
    on(event: 'quit', listener: (event: QuitEvent) => void): this;
    on(event: 'nick', listener: (event: NickEvent) => void): this;
    on(event: 'account' | 'loggedin', listener: (event: AccountEvent) => void): this;
    on(event: 'nick in use', listener: (event: NickInUseEvent) => void): this;
    on(event: 'whois', listener: (event: WhoisEvent) => void): this;
    /** The end of a NAMES reply: everyone in the channel (when we join, or when asked). */
    on(event: 'userlist', listener: (event: UserlistEvent) => void): this;
    on(event: 'sasl failed', listener: (event: SaslFailedEvent) => void): this;
    /** The socket closed, with its error if it had one. */
    on(event: 'socket close', listener: (error: Error | false | undefined) => void): this;
    /** The connection is over and no reconnect of irc-framework's own follows. */
    on(event: 'close', listener: () => void): this;
    /** Every line sent and received. */
    on(event: 'raw', listener: (event: { line: string; from_server: boolean }) => void): this;
  }
}
