import { z } from 'zod';
import { expecting, type ChatConnectionConfig, type SchemaHelpers } from '../../config/schema.js';

export interface XmppRoom {
  /** The room's bare JID: ops@conference.example.org. */
  jid: string;
  password?: string;
}

export interface XmppConfig extends ChatConnectionConfig {
  /** xmpp://host:port (STARTTLS) or xmpps://host:port (direct TLS). */
  service: string;
  /** The account's JID: relay@example.org. */
  jid: string;
  password: string;
  ca?: string;
  /** Plain-text (unencrypted) connections: only for a server on the same machine. */
  allowPlaintext: boolean;
  /** The relay's nick in the rooms. */
  nick: string;
  rooms: XmppRoom[];
  /** Rooms the relay creates admit only their members: `members`. */
  membersOnly: boolean;
  /** The bare JIDs of the xmpp: identities in access.users (filled from there, not a key of its own): a members-only room's members. */
  members: string[];
}

/** xmpp:<room JID> for each configured room. */
export function xmppDestinations(config: XmppConfig): string[] {
  return config.rooms.map((room) => `xmpp:${room.jid}`);
}

export function xmppSchema({ text, section, secret, secretFile, switchedSection, pemFile, nonEmptyList, secretChoice, secretValue, connectionKeys, connection }: SchemaHelpers) {
  const bareJid = (what: string) =>
    text(what).pipe(z.string().regex(/^[^@/\s]+@[^@/\s]+$/, { error: expecting(`${what} (name@domain, no resource)`) }));
  const xmppRoom = z
    .union([bareJid('a room JID'), section({ jid: bareJid('a room JID'), password: secret('room password').optional() })], {
      error: expecting('a room JID or a mapping with jid and password'),
    })
    .transform((room): XmppRoom => (typeof room === 'string' ? { jid: room } : room));
  const xmppService = text('an xmpp:// or xmpps:// URL').pipe(
    z.string().regex(/^xmpps?:\/\/[^/\s:]+(:\d+)?\/?$/, { error: expecting('an xmpp://host:port or xmpps://host:port URL') }),
  );

  const xmpp = switchedSection({
    service: xmppService,
    jid: bareJid('a JID'),
    password: secret('password').optional(),
    password_file: secretFile('password').optional(),
    ca_file: pemFile('a CA certificate file (PEM)', 'CA').optional(),
    allow_plaintext: z.boolean({ error: expecting('true or false') }).default(false),
    nick: text('a room nick').prefault('icinga-relay'),
    rooms: nonEmptyList(xmppRoom, 'rooms'),
    members_only: z.boolean({ error: expecting('true or false') }).default(false),
    ...connectionKeys(5, 1),
  })
    .superRefine((keys, ctx) => secretChoice(keys, 'password', ctx, true))
    .transform(
      (keys): XmppConfig => ({
        service: keys.service.replace(/\/$/, ''),
        jid: keys.jid,
        password: secretValue(keys.password, keys.password_file)!,
        ...(keys.ca_file && { ca: keys.ca_file.contents }),
        allowPlaintext: keys.allow_plaintext,
        nick: keys.nick,
        rooms: keys.rooms,
        membersOnly: keys.members_only,
        members: [],
        ...connection(keys),
      }),
    );
  return xmpp;
}
