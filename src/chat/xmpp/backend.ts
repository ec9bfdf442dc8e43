/**
 * The XMPP backend: one client connection, multi-user chat rooms (XEP-0045) as destinations,
 * and 1:1 chats with people who write to the relay directly.
 *
 * Identity is the sender's real bare JID, never a room nick: in a room anyone can take the nick
 * "alice". The server stamps `from` on 1:1 messages; in a room the real JID comes from the
 * occupant's presence, which non-anonymous rooms (and moderators) see. A room the relay creates
 * is configured non-anonymous for that reason.
 */
import { Client, xml, type Element } from '@xmpp/client-core';
import createIqCallee from '@xmpp/iq/callee.js';
import createIqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import createMiddleware from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import sasl from '@xmpp/sasl';
import saslPlain from '@xmpp/sasl-plain';
import saslScramSha1 from '@xmpp/sasl-scram-sha-1';
import createStreamFeatures from '@xmpp/stream-features';
import tcp from '@xmpp/tcp';
import ConnectionTLS from '@xmpp/tls/lib/Connection.js';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import SASLFactory from 'saslmechanisms';
import type { Duplex } from 'node:stream';
import type { TimerHandle } from '../../clock.js';
import { xmppDestinations, type XmppConfig, type XmppRoom } from './config.js';
import { Backoff } from '../../util/backoff.js';
import { highlightPrefix, type RelayMessage } from '../../message.js';
import { ConnectionBackend, type ConnectionBackendDependencies } from '../connection-backend.js';

const NS_STARTTLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const NS_DATA_FORMS = 'jabber:x:data';
const NS_DELAY = 'urn:xmpp:delay';
const NS_PING = 'urn:xmpp:ping';

/** MUC status codes (XEP-0045 registry). */
const STATUS_SELF = '110';
const STATUS_ROOM_CREATED = '201';
const STATUS_NICK_CHANGED = '303';

/** A room that has not answered a join by then is treated as failed, and tried again later. */
export const JOIN_TIMEOUT_MS = 30_000;
/** The configured nick, then `<nick>-2` ... up to this many, when the nick is taken in a room. */
const NICK_ATTEMPTS = 3;
const DESTINATION_PREFIX = 'xmpp:';

/**
 * What the relay sets on a room it creates: real JIDs visible to all occupants, so identities
 * work for every reader of the room; persistent, so the room and changes people make to it
 * outlive the relay's restarts; not listed in the service's room directory, since alerts name
 * hosts and what is wrong with them; and, with members_only, open to its members alone.
 */
function roomConfiguration(membersOnly: boolean): [string, string][] {
  return [
    ['FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'],
    ['muc#roomconfig_whois', 'anyone'],
    ['muc#roomconfig_persistentroom', '1'],
    ['muc#roomconfig_publicroom', '0'],
    ['muc#roomconfig_membersonly', membersOnly ? '1' : '0'],
  ];
}

export interface XmppClientOptions {
  /** xmpp://host:port (STARTTLS) or xmpps://host:port (direct TLS). */
  service: string;
  /** The account's bare JID. */
  jid: string;
  password: string;
  resource?: string;
  /** PEM CA certificates for the server's certificate; the system CAs when absent. */
  ca?: string;
  allowPlaintext: boolean;
}

export interface XmppClient {
  client: Client;
  iq: IqCaller;
}

function splitJid(address: string): { bare: string; resource?: string } {
  const slash = address.indexOf('/');
  return slash < 0 ? { bare: address } : { bare: address.slice(0, slash), resource: address.slice(slash + 1) };
}

/**
 * An xmpp.js client from its parts. @xmpp/client bundles the same parts, but its STARTTLS
 * cannot take a CA, so a private CA (`ca_file`) could not be verified without turning
 * verification off. Left out: WebSocket, SASL2/FAST, stream management and its own reconnect,
 * which the backend does itself with backoff.
 */
export function createXmppClient(options: XmppClientOptions): XmppClient {
  const [username, domain] = options.jid.split('@');
  const client = new Client({ service: options.service, domain });
  tcp({ entity: client });
  client.transports.push(
    class VerifiedTls extends ConnectionTLS {
      socketParameters(service: string) {
        const parameters = super.socketParameters(service);
        // The certificate must name the XMPP domain (RFC 6120 13.7.2.1), whatever host the URL names.
        return parameters && { ...parameters, servername: domain, ca: options.ca };
      }
    },
  );
  const middleware = createMiddleware({ entity: client });
  const streamFeatures = createStreamFeatures({ middleware });
  const iq = createIqCaller({ entity: client, middleware });
  createIqCallee({ entity: client, middleware }).get(NS_PING, 'ping', () => ({}));

  streamFeatures.use('starttls', NS_STARTTLS, async ({ entity }) => {
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_STARTTLS }));
    if (!answer.is('proceed', NS_STARTTLS)) throw new Error('the server refused STARTTLS');
    const socket = new TlsSocket();
    const verified = new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.connect({ socket: entity.socket as unknown as Duplex, host: domain, servername: domain, ca: options.ca });
    await verified;
    entity._attachSocket(socket);
    await entity.restart();
  });

  const saslFactory = new SASLFactory();
  saslScramSha1(saslFactory);
  saslPlain(saslFactory);
  sasl({ streamFeatures, saslFactory }, async (authenticate, mechanisms, _fast, entity) => {
    if (!entity.isSecure() && !options.allowPlaintext) {
      throw new Error(
        'the server offered no TLS (STARTTLS), so the password would go unencrypted; use TLS, or set allow_plaintext for a server on the same machine',
      );
    }
    // Our order of preference, among those offered: SCRAM-SHA-1 never sends the password itself.
    await authenticate({ username, password: options.password }, mechanisms[0]);
  });
  resourceBinding({ streamFeatures, iqCaller: iq }, options.resource);
  return { client, iq };
}

/** The message as one line of chat text. XML 1.0 forbids most control characters: one would end the stream. */
export function renderXmppText(message: RelayMessage): string {
  return (highlightPrefix(message) + message.text).replace(/[\t\n\r]+/g, ' ').replace(/[\p{Cc}\p{Cs}\uFFFE\uFFFF]/gu, '');
}

/** The log text for a failed login: what went wrong, and what to do about it where we can tell. */
function describeLoginFailure(error: unknown, config: Pick<XmppConfig, 'ca'>): string {
  const { message, code, name } = error as Error & { code?: string };
  if (name === 'SASLError') return `the server refused the login (${message}): check chat.xmpp.jid and password (or password_file)`;
  if (code && /CERT|SIGNATURE|ISSUER/.test(code)) {
    const advice = config.ca ? 'is ca_file the CA that signed it?' : 'for a private CA, set ca_file';
    return `the server's TLS certificate failed verification (${code}: ${message}); ${advice}`;
  }
  return message;
}

interface Session {
  readonly client: Client;
  readonly iq: IqCaller;
  online: boolean;
  /** The account's bare JID as the server wrote it at login. */
  ownJid: string;
  /** Resolves when the connection is gone. */
  readonly ended: Promise<void>;
}

type JoinOutcome = { kind: 'joined'; created: boolean } | { kind: 'conflict' } | { kind: 'failed'; reason: string };

interface Room extends XmppRoom {
  /** Our nick in this room: the configured one, or an alternative after a conflict. */
  nick: string;
  joined: boolean;
  /** Each occupant's real bare JID by nick; undefined when the room hides it from us. */
  readonly occupants: Map<string, string | undefined>;
  warnedHiddenJids: boolean;
  /** Settles the join in progress. */
  settleJoin?: (outcome: JoinOutcome) => void;
  readonly rejoinBackoff: Backoff;
  rejoinTimer?: TimerHandle;
}

/** The defined condition of a stanza error, which comes first in it (RFC 6120 8.3.2): conflict, not-authorized, ... */
function errorCondition(stanza: Element): string | undefined {
  return stanza.getChild('error')?.getChildElements()[0]?.name;
}

export class XmppBackend extends ConnectionBackend {
  readonly name = 'xmpp';
  readonly destinations: readonly string[];
  private readonly rooms = new Map<string, Room>();
  private session: Session | undefined;

  constructor(
    private readonly config: XmppConfig,
    deps: ConnectionBackendDependencies,
  ) {
    // A failed attempt is logged and schedules the next one.
    super('xmpp', config, deps, { bucketKey: () => 'connection' }, () => void this.openSession().catch(() => {}));
    for (const room of config.rooms) {
      const rejoinBackoff = new Backoff({ initialDelayMs: config.reconnect.minMs, maxDelayMs: config.reconnect.maxMs }, this.clock, this.random);
      this.rooms.set(room.jid, { ...room, nick: config.nick, joined: false, occupants: new Map(), warnedHiddenJids: false, rejoinBackoff });
    }
    this.destinations = xmppDestinations(config);
  }

  /**
   * Logs in and joins every room; resolves once each room is joined or has failed (failed rooms
   * are retried). A failed login rejects, and the backend keeps retrying in the background.
   */
  async connect(): Promise<void> {
    await this.openSession();
  }

  /** A room (`xmpp:<room>`) or a person (`xmpp:<jid>`, a reply to a 1:1 message). */
  protected checkDestination(destination: string): void {
    if (!destination.startsWith(DESTINATION_PREFIX) || destination.length === DESTINATION_PREFIX.length) {
      throw new Error(`not an XMPP destination: ${destination}`);
    }
  }

  /** Our nick in that room, an alternative one where the configured nick was taken. */
  addressNames(destination: string): string[] {
    return [this.rooms.get(destination.slice(DESTINATION_PREFIX.length))?.nick ?? this.config.nick];
  }

  protected async shutdown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.forgetRooms('the relay is stopping');
    if (!session) return;
    if (session.online) {
      // The server passes it on to every room we are in (RFC 6121 4.6.2), with the reason.
      await session.client
        .send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'icinga-relay is stopping')))
        .catch((error: unknown) => this.logger.debug('could not say goodbye', { error }));
    }
    await session.client.stop().catch((error: unknown) => this.logger.debug('the connection did not close cleanly', { error }));
  }

  private async openSession(): Promise<void> {
    const session = this.newSession();
    try {
      // A server that closes the connection during login leaves start() pending forever.
      const online = await Promise.race([session.client.start().then(() => true), session.ended.then(() => false)]);
      if (!online) throw new Error('the server closed the connection during login');
    } catch (error) {
      // A refused login stays refused until the config or the account is fixed: retried at the slowest pace.
      const refused = (error as Error).name === 'SASLError';
      if (!this.closing) {
        this.logger.error('XMPP login failed, will retry', { service: this.config.service, jid: this.config.jid, error: describeLoginFailure(error, this.config) });
      }
      this.endSession(session, refused);
      throw error;
    }
    session.online = true;
    session.ownJid = splitJid(String(session.client.jid)).bare;
    this.reconnect.connected();
    this.logger.info('XMPP connected', { jid: String(session.client.jid), encrypted: session.client.isSecure() });
    // Available presence: without it the server does not deliver 1:1 messages to this session.
    await session.client.send(xml('presence'));
    await Promise.all([...this.rooms.values()].map((room) => this.join(session, room)));
  }

  private newSession(): Session {
    const { client, iq } = createXmppClient({
      service: this.config.service,
      jid: this.config.jid,
      password: this.config.password,
      // Fixed, so a new login replaces a session the server still holds from before a network break.
      resource: 'icinga-relay',
      ca: this.config.ca,
      allowPlaintext: this.config.allowPlaintext,
    });
    let resolveEnded!: () => void;
    const session: Session = { client, iq, online: false, ownJid: this.config.jid, ended: new Promise((resolve) => (resolveEnded = resolve)) };
    this.session = session;
    // During login the error also rejects start(), and is logged there.
    client.on('error', (error: unknown) => {
      if (session.online) this.logger.warn('XMPP connection error', { error });
    });
    client.on('status', (status: string) => {
      if (status !== 'close' && status !== 'disconnect') return;
      // Only once the socket is gone: the error about a stanza that came just before the end of
      // the stream (a refused STARTTLS or login) comes a few microtasks later, and says more.
      if (status === 'disconnect') resolveEnded();
      if (session.online && this.session === session) this.logger.warn('XMPP connection lost, will reconnect', { status });
      this.endSession(session);
    });
    client.on('stanza', (stanza: Element) => {
      const { from } = stanza.attrs;
      // Without from, it is our own server session speaking (RFC 6120 8.1.2.1), such as the login's iq results.
      if (this.session !== session || from === undefined) return;
      // A throw here would reach the socket's data handler and end the process.
      try {
        if (stanza.is('presence')) this.handlePresence(session, stanza, from);
        else if (stanza.is('message')) this.handleMessage(session, stanza, from);
      } catch (error) {
        this.logger.error('could not handle an incoming stanza', { error, from });
      }
    });
    return session;
  }

  /** Forgets a connection that failed or ended, and plans the next one. */
  private endSession(session: Session, loginRefused = false): void {
    if (this.session !== session) return;
    this.session = undefined;
    // What the dead connection still reports is noise.
    session.online = false;
    this.forgetRooms('the connection ended');
    this.outbox.setReady(false);
    // Closes whatever is left of the stream and socket.
    session.client.stop().catch(() => {});
    // A refused login is retried at the slowest pace (reconnect.max).
    const delayMs = this.reconnect.schedule(loginRefused ? this.config.reconnect.maxMs : 0);
    if (delayMs !== undefined) this.logger.info('reconnecting to XMPP', { inMs: delayMs });
  }

  private forgetRooms(reason: string): void {
    for (const room of this.rooms.values()) {
      room.joined = false;
      room.occupants.clear();
      this.clock.clearTimeout(room.rejoinTimer);
      room.settleJoin?.({ kind: 'failed', reason });
    }
  }

  private updateReady(): void {
    this.outbox.setReady(this.session?.online === true && [...this.rooms.values()].every((room) => room.joined));
  }

  private async join(session: Session, room: Room): Promise<void> {
    try {
      const created = await this.enterRoom(session, room);
      if (created) {
        // A new room stays locked until its owner configures it (XEP-0045 10.1.1).
        const fields = roomConfiguration(this.config.membersOnly).map(([field, value]) => xml('field', { var: field }, xml('value', {}, value)));
        await session.iq.set(xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: NS_DATA_FORMS, type: 'submit' }, ...fields)), room.jid);
        this.logger.info('created and configured room', { room: room.jid, membersOnly: this.config.membersOnly });
      }
      if (this.config.membersOnly) await this.admitMembers(session, room);
      room.joined = true;
      room.rejoinBackoff.connected();
      this.logger.info('joined room', { room: room.jid, nick: room.nick });
      this.updateReady();
    } catch (error) {
      // A lost connection rejoins every room itself.
      if (this.session !== session) return;
      this.logger.error('could not join room, will retry', { room: room.jid, error, inMs: this.scheduleRejoin(session, room) });
    }
  }

  /**
   * Makes the configured members (access.users) members of the room, where they have no
   * affiliation yet (an owner or admin keeps theirs). Needs the relay to own the room, as it does
   * the rooms it creates; elsewhere the refusal is logged and the room's own list applies.
   */
  private async admitMembers(session: Session, room: Room): Promise<void> {
    try {
      const affiliated = new Set<string>();
      for (const affiliation of ['owner', 'admin', 'member']) {
        const list = await session.iq.get(xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation })), room.jid);
        for (const item of list?.getChildren('item') ?? []) if (item.attrs.jid) affiliated.add(splitJid(item.attrs.jid).bare.toLowerCase());
      }
      const missing = this.config.members.filter((jid) => !affiliated.has(jid.toLowerCase()));
      if (missing.length === 0) return;
      await session.iq.set(xml('query', { xmlns: NS_MUC_ADMIN }, ...missing.map((jid) => xml('item', { affiliation: 'member', jid }))), room.jid);
      this.logger.info('made members of the room', { room: room.jid, members: missing.join(',') });
    } catch (error) {
      this.logger.warn('cannot set the members of the room (the relay must own it); its own member list applies', { room: room.jid, error });
    }
  }

  /** Returns the delay. */
  private scheduleRejoin(session: Session, room: Room): number {
    const delayMs = room.rejoinBackoff.nextDelay();
    room.rejoinTimer = this.clock.setTimeout(() => void this.join(session, room), delayMs);
    return delayMs;
  }

  /** Joins with the configured nick or an alternative; resolves whether the room was created by this join. */
  private async enterRoom(session: Session, room: Room): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const nick = attempt === 1 ? this.config.nick : `${this.config.nick}-${attempt}`;
      const outcome = await new Promise<JoinOutcome>((resolve) => {
        const timer = this.clock.setTimeout(() => settle({ kind: 'failed', reason: `no answer within ${JOIN_TIMEOUT_MS / 1000} s` }), JOIN_TIMEOUT_MS);
        const settle = (outcome: JoinOutcome) => {
          this.clock.clearTimeout(timer);
          room.settleJoin = undefined;
          resolve(outcome);
        };
        room.settleJoin = settle;
        const muc = xml(
          'x',
          { xmlns: NS_MUC },
          room.password !== undefined && xml('password', {}, room.password),
          // Old messages would replay old alerts and old commands.
          xml('history', { maxstanzas: '0' }),
        );
        session.client.send(xml('presence', { to: `${room.jid}/${nick}` }, muc)).catch((error: Error) => settle({ kind: 'failed', reason: error.message }));
      });
      if (outcome.kind === 'joined') return outcome.created;
      if (outcome.kind === 'failed') throw new Error(outcome.reason);
      if (attempt === NICK_ATTEMPTS) throw new Error(`the nick ${this.config.nick} and its alternatives up to ${nick} are taken`);
      this.logger.warn('nick taken in room, trying another', { room: room.jid, nick });
    }
  }

  private handlePresence(session: Session, stanza: Element, from: string): void {
    const { bare, resource: nick } = splitJid(from);
    const room = this.rooms.get(bare);
    if (!room || nick === undefined) return;
    if (stanza.attrs.type === 'error') {
      const condition = errorCondition(stanza);
      room.settleJoin?.(condition === 'conflict' ? { kind: 'conflict' } : { kind: 'failed', reason: `the room refused: ${condition}` });
      return;
    }
    const mucUser = stanza.getChild('x', NS_MUC_USER);
    const statuses = new Set(mucUser?.getChildren('status').map((status) => status.attrs.code));
    const self = statuses.has(STATUS_SELF);
    if (stanza.attrs.type === 'unavailable') {
      // A nick change is the old nick leaving and the new one arriving.
      room.occupants.delete(nick);
      if (self && !statuses.has(STATUS_NICK_CHANGED) && room.joined) this.leftRoom(session, room, stanza);
      return;
    }
    const realJid = mucUser?.getChild('item')?.attrs.jid;
    room.occupants.set(nick, realJid === undefined ? undefined : splitJid(realJid).bare);
    if (self) {
      // The room may have changed the nick we asked for (status 210).
      room.nick = nick;
      room.settleJoin?.({ kind: 'joined', created: statuses.has(STATUS_ROOM_CREATED) });
    }
  }

  /** Kicked, banned, or the room went away: messages wait while we try to get back in. */
  private leftRoom(session: Session, room: Room, stanza: Element): void {
    room.joined = false;
    room.occupants.clear();
    this.updateReady();
    const reason = stanza.getChild('x', NS_MUC_USER)?.getChild('item')?.getChildText('reason') ?? undefined;
    this.logger.warn('removed from room, will rejoin', { room: room.jid, reason, inMs: this.scheduleRejoin(session, room) });
  }

  private handleMessage(session: Session, stanza: Element, from: string): void {
    const { type = 'normal' } = stanza.attrs;
    if (type === 'error') {
      this.logger.warn('the server could not deliver a message', { to: from, error: errorCondition(stanza) });
      return;
    }
    const text = stanza.getChildText('body');
    // Written while the relay was away (room history, offline storage): a command in it is stale.
    if (text === null || stanza.getChild('delay', NS_DELAY)) return;
    const { bare, resource } = splitJid(from);
    const room = this.rooms.get(bare);
    if (!room) {
      // Not a person writing: the relay's own account, a server or service (no local part),
      // or an automated notice (a headline, RFC 6121 5.2.2).
      if (bare === session.ownJid || !bare.includes('@') || type === 'headline') return;
      this.emit({ destination: DESTINATION_PREFIX + bare, text, direct: true, sender: { identity: DESTINATION_PREFIX + bare, displayName: bare.split('@')[0] } });
      return;
    }
    // Without a nick it is the room itself speaking; with ours, it is the echo of what we sent.
    if (resource === undefined || resource === room.nick) return;
    const realJid = room.occupants.get(resource);
    if (realJid === session.ownJid) return;
    if (realJid === undefined && room.occupants.has(resource) && !room.warnedHiddenJids) {
      room.warnedHiddenJids = true;
      this.logger.warn('the room hides real JIDs from the relay: messages there carry no identity; make it non-anonymous (whois: anyone) or the relay a moderator', { room: room.jid });
    }
    const direct = type !== 'groupchat';
    this.emit({
      // A private message in a room is answered through the room, to the occupant.
      destination: DESTINATION_PREFIX + (direct ? from : bare),
      text,
      direct,
      sender: { identity: realJid && DESTINATION_PREFIX + realJid, displayName: resource },
    });
  }

  protected async transmit(destination: string, message: RelayMessage): Promise<void> {
    // The outbox transmits only while ready, and ready means connected.
    const { client } = this.session!;
    const to = destination.slice(DESTINATION_PREFIX.length);
    await client.send(xml('message', { to, type: this.rooms.has(to) ? 'groupchat' : 'chat' }, xml('body', {}, renderXmppText(message))));
  }
}
