/**
 * Both sides of an IRC test: a person on the network (an irc-framework client that can log in
 * with SASL, join, talk, and wait for what others say, keeping everything it receives), and the
 * relay's IRC backend under test with its log and what it hands on.
 */
import { Client, type MessageEvent } from 'irc-framework';
import type { Test } from 'tap';
import type { IncomingMessage } from '../../src/chat/backend.js';
import { IrcBackend } from '../../src/chat/irc/backend.js';
import type { Clock } from '../../src/clock.js';
import type { IrcConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';

export interface TestClientOptions {
  port: number;
  nick: string;
  /** Log in to this services account with SASL PLAIN. */
  account?: { name: string; password: string };
}

export interface ReceivedMessage {
  nick: string;
  target: string;
  text: string;
  account?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Polls `condition` until it holds; rejects after timeoutMs saying what it waited for (`what`, read then). */
export async function eventually(condition: () => boolean, what: string | (() => string), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class IrcTestClient {
  /** PRIVMSGs received, in order, from channels and directly. */
  readonly messages: ReceivedMessage[] = [];
  readonly notices: ReceivedMessage[] = [];
  /** Raw lines the server sent, for asserting on JOIN, KICK, NICK and the like. */
  readonly lines: string[] = [];
  private closed: Promise<void>;

  private constructor(readonly client: Client) {
    const keep = (list: ReceivedMessage[]) => (event: MessageEvent) =>
      list.push({ nick: event.nick, target: event.target, text: event.message, account: event.account });
    client.on('privmsg', keep(this.messages));
    client.on('notice', keep(this.notices));
    client.on('raw', (event) => {
      if (event.from_server) this.lines.push(event.line.replace(/\r?\n$/, ''));
    });
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
  }

  /** Connects and resolves once registered (and logged in, with an account). */
  static async connect(options: TestClientOptions): Promise<IrcTestClient> {
    const client = new Client();
    const test = new IrcTestClient(client);
    const registered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.connection.end();
        reject(new Error(`${options.nick} did not register within ${DEFAULT_TIMEOUT_MS} ms; the server said:\n${test.lines.join('\n')}`));
      }, DEFAULT_TIMEOUT_MS);
      client.once('registered', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`${options.nick} was disconnected before registering; the server said:\n${test.lines.join('\n')}`));
      });
    });
    client.connect({
      host: '127.0.0.1',
      port: options.port,
      nick: options.nick,
      username: options.nick,
      gecos: options.nick,
      auto_reconnect: false,
      ...(options.account && { account: { account: options.account.name, password: options.account.password }, sasl_disconnect_on_fail: true }),
    });
    await registered;
    return test;
  }

  get nick(): string {
    return this.client.user.nick;
  }

  say(target: string, text: string): void {
    this.client.say(target, text);
  }

  raw(line: string): void {
    this.client.raw(line);
  }

  async join(channel: string): Promise<void> {
    const joined = this.waitForLine(new RegExp(`^(@\\S+ )?:${escapeRegExp(this.nick)}!\\S+ JOIN :?${escapeRegExp(channel)}( |$)`, 'i'));
    this.client.join(channel);
    await joined;
  }

  /** Resolves with the first line from the server, past or future, that matches. */
  async waitForLine(pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    await eventually(() => this.lines.some((line) => pattern.test(line)), `a line matching ${pattern} at ${this.nick}`, timeoutMs);
    return this.lines.find((line) => pattern.test(line))!;
  }

  async waitForNotice(from: string, pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ReceivedMessage> {
    const matches = (notice: ReceivedMessage) => notice.nick === from && pattern.test(notice.text);
    await eventually(() => this.notices.some(matches), `a notice from ${from} matching ${pattern} at ${this.nick}`, timeoutMs);
    return this.notices.find(matches)!;
  }

  /** Resolves with the messages to `target` once there are at least `count`. */
  async waitForMessages(target: string, count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ReceivedMessage[]> {
    const to = () => this.messages.filter((message) => this.client.caseCompare(message.target, target));
    await eventually(() => to().length >= count, `${count} messages to ${target} at ${this.nick} (have ${to().length})`, timeoutMs);
    return to();
  }

  /** QUITs and resolves once the connection is closed; at once if it already is. */
  async quit(): Promise<void> {
    if (this.client.connected) this.client.quit('bye');
    else this.client.connection.end();
    await this.closed;
  }
}

/** The backend's config for a test server on 127.0.0.1: plain text, nick relay, channel #ops, no throttle worth the name. */
export function testIrcConfig(port: number, overrides: Partial<IrcConfig> = {}): IrcConfig {
  return {
    host: '127.0.0.1',
    port,
    tls: false,
    nick: 'relay',
    username: 'relay',
    realname: 'icinga-relay test',
    channels: [{ name: '#ops' }],
    colours: false,
    rate: { burst: 100, perSecond: 100 },
    queueSize: 100,
    reconnect: { minMs: 1_000, maxMs: 5_000 },
    ...overrides,
  };
}

/** The relay's IRC backend, closed when the test ends; jitter-free, so delays are exactly as configured. */
export function backendUnderTest(t: Test, config: IrcConfig, clock?: Clock) {
  const logger = memoryLogger();
  const backend = new IrcBackend(config, { logger, clock, random: () => 0 });
  const incoming: IncomingMessage[] = [];
  backend.onMessage((message) => incoming.push(message));
  t.teardown(() => backend.close());
  const logged = (pattern: RegExp) =>
    eventually(
      () => logger.lines.some((line) => pattern.test(line)),
      () => `a log line matching ${pattern}; the log:\n${logger.lines.join('\n')}`,
    );
  return { backend, logger, incoming, logged };
}

/** A relay notice with this text, for sending through the backend. */
export const notice = (text: string): RelayMessage => ({ eventType: 'Relay', severity: 'info', text, timestamp: 0, fields: {} });
