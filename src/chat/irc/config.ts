import { z } from 'zod';
import { expecting, type ChatConnectionConfig, type SchemaHelpers } from '../../config/schema.js';

export interface IrcChannel {
  /** With its prefix: #ops. */
  name: string;
  key?: string;
}

export interface IrcConfig extends ChatConnectionConfig {
  host: string;
  port: number;
  tls: boolean;
  /** PEM CA certificates for the server's certificate; the system CAs when absent. */
  ca?: string;
  nick: string;
  username: string;
  realname: string;
  sasl?: { account: string; password: string };
  /** For networks without SASL: sent to NickServ as IDENTIFY after connecting. */
  nickservPassword?: string;
  channels: IrcChannel[];
  /** mIRC colours by severity. */
  colours: boolean;
}

/** irc:#ops for each configured channel. */
export function ircDestinations(config: IrcConfig): string[] {
  return config.channels.map((channel) => `irc:${channel.name}`);
}

export function ircSchema({ text, section, secret, secretFile, switchedSection, pemFile, nonEmptyList, secretChoice, secretValue, connectionKeys, connection }: SchemaHelpers) {
  const ircChannelName = text('an IRC channel such as #ops').pipe(
    z.string().regex(/^[#&][^\s,\x07]+$/, { error: expecting('an IRC channel such as #ops (starting with # or &, no spaces or commas)') }),
  );
  const ircChannel = z
    .union([ircChannelName, section({ name: ircChannelName, key: secret('channel key').optional() })], {
      error: expecting('a channel name or a mapping with name and key'),
    })
    .transform((channel): IrcChannel => (typeof channel === 'string' ? { name: channel } : channel));

  // Flood limits: InspIRCd's defaults allow ~1 line/s after a burst of ~5 (measured); big
  // networks are stricter. 4 at once, then one every 2 s, is safe on all of them.
  const irc = switchedSection({
    server: text('a host name'),
    port: z.int({ error: expecting('a port from 1 to 65535') }).min(1).max(65535).optional(),
    tls: z.boolean({ error: expecting('true or false') }).default(true),
    ca_file: pemFile('a CA certificate file (PEM)', 'CA').optional(),
    nick: text('a nick').prefault('icinga-relay'),
    username: text('a user name').optional(),
    realname: text('a real name').prefault('icinga-relay'),
    sasl_account: text('a services account').optional(),
    sasl_password: secret('sasl_password').optional(),
    sasl_password_file: secretFile('sasl_password').optional(),
    nickserv_password: secret('nickserv_password').optional(),
    nickserv_password_file: secretFile('nickserv_password').optional(),
    channels: nonEmptyList(ircChannel, 'channels'),
    colours: z.boolean({ error: expecting('true or false') }).default(true),
    ...connectionKeys(4, 0.5),
  })
    .superRefine((keys, ctx) => {
      secretChoice(keys, 'sasl_password', ctx, keys.sasl_account !== undefined);
      secretChoice(keys, 'nickserv_password', ctx, false);
      if (keys.sasl_account === undefined && (keys.sasl_password ?? keys.sasl_password_file) !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'missing required key "sasl_account" (sasl_password needs it)' });
      }
    })
    .transform(
      (keys): IrcConfig => ({
        host: keys.server,
        port: keys.port ?? (keys.tls ? 6697 : 6667),
        tls: keys.tls,
        ...(keys.ca_file && { ca: keys.ca_file.contents }),
        nick: keys.nick,
        username: keys.username ?? keys.nick,
        realname: keys.realname,
        ...(keys.sasl_account !== undefined && {
          sasl: { account: keys.sasl_account, password: secretValue(keys.sasl_password, keys.sasl_password_file)! },
        }),
        ...(secretValue(keys.nickserv_password, keys.nickserv_password_file) !== undefined && {
          nickservPassword: secretValue(keys.nickserv_password, keys.nickserv_password_file),
        }),
        channels: keys.channels,
        colours: keys.colours,
        ...connection(keys),
      }),
    );
  return irc;
}
