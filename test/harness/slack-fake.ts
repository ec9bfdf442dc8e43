/**
 * A small, protocol-faithful fake of Slack for tests (no Slack server runs locally).
 *
 * Web API: `POST /api/<method>` with a form-encoded or JSON body and `Authorization: Bearer
 * <token>`, answered with HTTP 200 and `{ok, ...}` like the real API (429 + Retry-After when asked
 * to). Bot-token methods: auth.test, conversations.list (cursor pagination), chat.postMessage
 * (with thread_ts: a reply in that message's thread, reply_broadcast: also shown in the channel), chat.update
 * (the bot's own messages only, by channel and ts);
 * app-token method: apps.connections.open, which hands out a single-use ws:// URL on this server.
 *
 * Socket Mode: the socket sends `hello` first, then `events_api` envelopes in Slack's shape, and
 * records the acks (`{envelope_id, payload}`) so tests can check every envelope was acked. Like
 * Slack, every posted message comes back over the socket as a message event from the bot itself.
 * Shapes follow shared/chat-servers-notes.md and Slack's API reference.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';

export const FAKE_TEAM_ID = 'T0FAKE';
export const FAKE_APP_ID = 'A0FAKE';
/** The bot user that auth.test names and that posts every message. */
export const FAKE_BOT_USER_ID = 'U0RELAYBOT';
export const FAKE_BOT_ID = 'B0RELAYBOT';
export const FAKE_BOT_TOKEN = 'xoxb-fake-bot-token';
export const FAKE_APP_TOKEN = 'xapp-fake-app-token';

export interface FakeChannel {
  id: string;
  /** Without the #; for a direct message, the other user's ID. */
  name: string;
  /** A direct message (D...): not listed by conversations.list for channel types. */
  isIm?: boolean;
  isPrivate?: boolean;
  /** Whether the bot was invited; false answers chat.postMessage with not_in_channel. Default true. */
  isMember?: boolean;
  isArchived?: boolean;
}

export interface SlackFakeOptions {
  channels?: FakeChannel[];
  /** The most channels one conversations.list page holds, whatever `limit` asks: forces pagination. */
  maxPageSize?: number;
  /** The bot token's scopes; a call that needs another answers missing_scope. Default: all it needs. */
  botScopes?: string[];
}

export interface ApiCall {
  method: string;
  /** The bearer token the call carried. */
  token: string | undefined;
  params: Record<string, string>;
  /** 200, or 429 when rate limited. */
  status: number;
  answer: Record<string, unknown>;
}

export interface PostedMessage {
  channel: string;
  text: string | undefined;
  blocks: unknown;
  params: Record<string, string>;
  /** What Slack answered: the message's ID in its channel. */
  ts: string;
  /** The thread it was posted in (the root's ts), if any. */
  threadTs?: string;
}

/** A chat.update that Slack accepted. */
export interface UpdatedMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: unknown;
}

/** The fields of a Slack `message` event; the fake fills in ts, event_ts and team. */
export interface MessageEventFields {
  channel: string;
  text: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  channel_type?: 'channel' | 'group' | 'im' | 'mpim';
  [field: string]: unknown;
}

export interface Envelope {
  envelope_id: string;
  type: 'events_api' | 'slash_commands';
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
  payload: Record<string, unknown>;
}

export interface Ack {
  envelope_id: string;
  payload: unknown;
}

const DEFAULT_CHANNELS: FakeChannel[] = [
  { id: 'C0OPS', name: 'ops' },
  { id: 'C0ALERTS', name: 'alerts' },
  { id: 'D0ALICE', name: 'U0ALICE', isIm: true },
];

const INVALID_BLOCKS = Symbol('invalid blocks');

/** The `blocks` parameter (JSON, as the Web API client form-encodes it), undefined when absent. */
function parseBlocks(params: Record<string, string>): unknown {
  if (params.blocks === undefined) return undefined;
  try {
    return JSON.parse(params.blocks);
  } catch {
    return INVALID_BLOCKS;
  }
}

const BOT_TOKEN_METHODS = new Set(['auth.test', 'conversations.list', 'chat.postMessage', 'chat.update']);
const ALL_BOT_SCOPES = ['chat:write', 'channels:read', 'groups:read', 'channels:history', 'groups:history', 'im:history'];
/** The scope conversations.list needs for each conversation type. */
const LIST_SCOPES: Record<string, string> = { public_channel: 'channels:read', private_channel: 'groups:read', mpim: 'mpim:read', im: 'im:read' };
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack takes form fields or a JSON object; nested values in a form arrive as JSON strings. */
function parseParams(contentType: string | undefined, body: string): Record<string, string> {
  if (contentType?.startsWith('application/json')) {
    const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  }
  return Object.fromEntries(new URLSearchParams(body));
}

export class SlackFake {
  readonly calls: ApiCall[] = [];
  readonly posted: PostedMessage[] = [];
  readonly updated: UpdatedMessage[] = [];
  /** Every envelope sent over a socket, in order. */
  readonly envelopes: Envelope[] = [];
  readonly acks: Ack[] = [];
  /** Sockets that got their hello. */
  connections = 0;
  /** Called as each Web API call is answered: lets a test act at that exact moment. */
  onCall: ((call: ApiCall) => void) | undefined;

  private readonly server: Server;
  private readonly webSockets = new WebSocketServer({ noServer: true });
  /** Open sockets, with the TCP connection under each. */
  private readonly sockets = new Map<WebSocket, Duplex>();
  private readonly tickets = new Set<string>();
  private readonly channels: FakeChannel[];
  private readonly maxPageSize: number;
  private readonly botScopes: string[];
  /** Per method: how many more calls get a 429, with which Retry-After. */
  private readonly rateLimits = new Map<string, { count: number; retryAfterSeconds: number }>();
  private refusedSockets = 0;
  private sequence = 0;
  private port = 0;

  private constructor(options: SlackFakeOptions) {
    this.channels = options.channels ?? DEFAULT_CHANNELS;
    this.maxPageSize = options.maxPageSize ?? 1000;
    this.botScopes = options.botScopes ?? ALL_BOT_SCOPES;
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => json(response, 500, { ok: false, error: String(error) }));
    });
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  static async start(options: SlackFakeOptions = {}): Promise<SlackFake> {
    const fake = new SlackFake(options);
    await fake.start();
    return fake;
  }

  /** The base URL the clients take as slackApiUrl. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The next `count` calls of `method` get HTTP 429 with this Retry-After. */
  rateLimitNext(method: string, count: number, retryAfterSeconds: number): void {
    this.rateLimits.set(method, { count, retryAfterSeconds });
  }

  /** The next `count` websocket handshakes fail with 401, as with an expired URL. */
  refuseNextSockets(count: number): void {
    this.refusedSockets = count;
  }

  /** Delivers a message event over the open sockets; returns its envelope. */
  sendMessageEvent(fields: MessageEventFields, delivery: { eventId?: string; retryAttempt?: number } = {}): Envelope {
    const ts = this.nextTs();
    return this.sendEvent({ type: 'message', ts, event_ts: ts, team: FAKE_TEAM_ID, channel_type: 'channel', ...fields }, delivery);
  }

  /** Delivers any Events API event (reaction_added, app_mention, ...) over the open sockets. */
  sendEvent(event: Record<string, unknown>, delivery: { eventId?: string; retryAttempt?: number } = {}): Envelope {
    return this.sendEnvelope({
      envelope_id: randomUUID(),
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: delivery.retryAttempt ?? 0,
      retry_reason: delivery.retryAttempt ? 'timeout' : '',
      payload: {
        token: 'verification-token',
        team_id: FAKE_TEAM_ID,
        api_app_id: FAKE_APP_ID,
        event,
        type: 'event_callback',
        event_id: delivery.eventId ?? `Ev${String(++this.sequence).padStart(8, '0')}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: FAKE_TEAM_ID, user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      },
    });
  }

  /** What Slack sends when someone uses the app's slash command. */
  sendSlashCommand(command: string, text: string, user: string, channel: string): Envelope {
    return this.sendEnvelope({
      envelope_id: randomUUID(),
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'verification-token',
        team_id: FAKE_TEAM_ID,
        team_domain: 'fake',
        channel_id: channel,
        user_id: user,
        command,
        text,
        api_app_id: FAKE_APP_ID,
        response_url: `http://127.0.0.1:${this.port}/commands/response`,
        trigger_id: `trigger-${++this.sequence}`,
      },
    });
  }


  /** What Slack sends before it recycles a connection; the client is to open a new one. */
  requestRefresh(): void {
    const message = JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-fake' } });
    for (const socket of this.sockets.keys()) socket.send(message);
  }

  /** Cuts every socket without a close handshake, as a network failure would. */
  dropSockets(): void {
    for (const socket of this.sockets.keys()) socket.terminate();
  }

  /** Stops reading from every socket, as a half-open connection behind a dead NAT does. */
  freezeSockets(): void {
    for (const connection of this.sockets.values()) connection.pause();
  }

  /** Sockets open now. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Envelope IDs sent but never acked. */
  unacked(): string[] {
    const acked = new Set(this.acks.map((ack) => ack.envelope_id));
    return this.envelopes.map((envelope) => envelope.envelope_id).filter((id) => !acked.has(id));
  }

  async waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(10);
    }
  }

  /** Listens again, on the same port after a stop(). */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        this.port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      });
    });
  }

  /** Goes away as a crashed server would: no new connections, open ones cut. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.dropSockets();
    await closed;
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop();
    this.webSockets.close();
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.sequence).padStart(6, '0')}`;
  }

  private sendEnvelope(envelope: Envelope): Envelope {
    if (this.sockets.size === 0) throw new Error('no Socket Mode connection is open');
    this.envelopes.push(envelope);
    // Slack sends each envelope over one of the app's connections: here the newest.
    [...this.sockets.keys()].at(-1)!.send(JSON.stringify(envelope));
    return envelope;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const params = parseParams(request.headers['content-type'], await readBody(request));
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const token = bearer ?? params.token;
    const record = (status: number, answer: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const call = { method, token, params, status, answer };
      this.calls.push(call);
      this.onCall?.(call);
      json(response, status, answer, headers);
    };

    if (!BOT_TOKEN_METHODS.has(method) && !APP_TOKEN_METHODS.has(method)) return record(200, { ok: false, error: 'unknown_method' });
    if (token === undefined) return record(200, { ok: false, error: 'not_authed' });
    const kind = token === FAKE_BOT_TOKEN ? 'bot' : token === FAKE_APP_TOKEN ? 'app' : undefined;
    if (kind === undefined) return record(200, { ok: false, error: 'invalid_auth' });
    if ((kind === 'bot') !== BOT_TOKEN_METHODS.has(method)) return record(200, { ok: false, error: 'not_allowed_token_type' });

    const rateLimit = this.rateLimits.get(method);
    if (rateLimit !== undefined && rateLimit.count > 0) {
      rateLimit.count--;
      return record(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(rateLimit.retryAfterSeconds) });
    }
    record(200, this.answer(method, params));
  }

  private answer(method: string, params: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'icinga-relay',
          team_id: FAKE_TEAM_ID,
          user_id: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          is_enterprise_install: false,
        };
      case 'conversations.list':
        return this.listConversations(params);
      case 'chat.postMessage':
        return this.postMessage(params);
      case 'chat.update':
        return this.update(params);
      default: {
        // apps.connections.open, the one app-token method.
        const ticket = randomUUID();
        this.tickets.add(ticket);
        return { ok: true, url: `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=${FAKE_APP_ID}` };
      }
    }
  }

  private listConversations(params: Record<string, string>): Record<string, unknown> {
    const types = (params.types ?? 'public_channel').split(',');
    if (types.some((type) => LIST_SCOPES[type] === undefined)) return { ok: false, error: 'invalid_types' };
    const needed = types.map((type) => LIST_SCOPES[type]).filter((scope) => !this.botScopes.includes(scope));
    if (needed.length > 0) return { ok: false, error: 'missing_scope', needed: needed.join(','), provided: this.botScopes.join(',') };
    const limit = params.limit === undefined ? 100 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { ok: false, error: 'invalid_limit' };
    let offset = 0;
    if (params.cursor) {
      const match = /^offset:(\d+)$/.exec(Buffer.from(params.cursor, 'base64').toString('utf8'));
      if (!match) return { ok: false, error: 'invalid_cursor' };
      offset = Number(match[1]);
    }
    // Private channels are listed only to members, like on Slack.
    const visible = this.channels.filter(
      (channel) =>
        !channel.isIm &&
        (channel.isPrivate ? types.includes('private_channel') && channel.isMember !== false : types.includes('public_channel')) &&
        !(params.exclude_archived === 'true' && channel.isArchived),
    );
    const end = offset + Math.min(limit, this.maxPageSize);
    const page = visible.slice(offset, end).map((channel) => ({
      id: channel.id,
      name: channel.name,
      name_normalized: channel.name,
      is_channel: !channel.isPrivate,
      is_group: false,
      is_im: false,
      is_private: Boolean(channel.isPrivate),
      is_archived: Boolean(channel.isArchived),
      is_member: channel.isMember !== false,
      created: 1700000000,
    }));
    const nextCursor = end < visible.length ? Buffer.from(`offset:${end}`).toString('base64') : '';
    return { ok: true, channels: page, response_metadata: { next_cursor: nextCursor } };
  }

  private postMessage(params: Record<string, string>): Record<string, unknown> {
    const channel = this.channels.find((candidate) => candidate.id === params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    if (channel.isArchived) return { ok: false, error: 'is_archived' };
    if (channel.isMember === false) return { ok: false, error: 'not_in_channel' };
    const blocks = parseBlocks(params);
    if (blocks === INVALID_BLOCKS) return { ok: false, error: 'invalid_blocks_format' };
    if (!params.text && blocks === undefined && params.attachments === undefined) return { ok: false, error: 'no_text' };
    const threadTs = params.thread_ts;
    // Slack threads under a message of the channel; a reply cannot start a thread of its own.
    const root = threadTs === undefined ? undefined : this.posted.find((post) => post.channel === channel.id && post.ts === threadTs);
    if (threadTs !== undefined && (root === undefined || root.threadTs !== undefined)) return { ok: false, error: 'thread_not_found' };
    const ts = this.nextTs();
    this.posted.push({ channel: channel.id, text: params.text, blocks, params, ts, ...(threadTs !== undefined && { threadTs }) });
    const message = { type: 'message', text: params.text ?? '', user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, app_id: FAKE_APP_ID, blocks, ts };
    // Slack delivers the bot's own post to its event subscription too.
    if (this.sockets.size > 0) {
      const channelType = channel.isIm ? 'im' : channel.isPrivate ? 'group' : 'channel';
      this.sendMessageEvent({ ...message, event_ts: ts, channel: channel.id, channel_type: channelType });
    }
    return { ok: true, channel: channel.id, ts, message: { ...message, team: FAKE_TEAM_ID } };
  }

  /** chat.update: the bot's own message, by channel and ts; text and blocks replaced. */
  private update(params: Record<string, string>): Record<string, unknown> {
    const channel = this.channels.find((candidate) => candidate.id === params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const post = this.posted.find((candidate) => candidate.channel === channel.id && candidate.ts === params.ts);
    if (post === undefined) return { ok: false, error: 'message_not_found' };
    const blocks = parseBlocks(params);
    if (blocks === INVALID_BLOCKS) return { ok: false, error: 'invalid_blocks_format' };
    if (!params.text && blocks === undefined) return { ok: false, error: 'no_text' };
    this.updated.push({ channel: channel.id, ts: post.ts, text: params.text, blocks });
    return { ok: true, channel: channel.id, ts: post.ts, text: params.text ?? '' };
  }

  /** A message as it stands now: posted, then changed by each chat.update. */
  current(channel: string, ts: string): { text: string | undefined; blocks: unknown } | undefined {
    const post = this.posted.find((candidate) => candidate.channel === channel && candidate.ts === ts);
    const update = this.updated.filter((candidate) => candidate.channel === channel && candidate.ts === ts).at(-1);
    return update ?? post;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket');
    // A URL from apps.connections.open is good for one connection.
    const valid = url.pathname === '/link/' && ticket !== null && this.tickets.delete(ticket);
    const refused = this.refusedSockets > 0;
    if (refused) this.refusedSockets--;
    if (refused || !valid) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      this.sockets.set(webSocket, socket);
      webSocket.on('close', () => this.sockets.delete(webSocket));
      webSocket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Partial<Ack>;
        if (typeof message.envelope_id === 'string') this.acks.push({ envelope_id: message.envelope_id, payload: message.payload });
      });
      this.connections++;
      webSocket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: FAKE_APP_ID },
        }),
      );
    });
  }
}
