import { z } from 'zod';
import { expecting, type ChatConnectionConfig, type SchemaHelpers } from '../../config/schema.js';

export interface SlackConfig extends ChatConnectionConfig {
  /** xoxb-...: posts messages and reads channel names. */
  botToken: string;
  /** xapp-...: opens the Socket Mode connection that delivers messages people write. */
  appToken: string;
  /** #name or a channel ID (C0123ABC). */
  channels: string[];
  /** Web API base URL, ending in /api/. */
  apiUrl: string;
  /** Retries of one failed Web API call (429 and network errors) before it counts as failed. */
  retries: number;
  /** Later events of a problem go in the thread of its first message (src/chat/slack/threads.ts). */
  threads: boolean;
  /** A recovery in a thread is also shown in the channel (reply_broadcast). */
  broadcastRecoveries: boolean;
  /** The first message of a problem is edited to its current state (chat.update). */
  editRoot: boolean;
  /** HTTP(S) proxy for the Web API and Socket Mode (CONNECT); without it, HTTPS_PROXY/NO_PROXY apply. */
  proxy?: string;
}

/** slack:<channel> for each configured channel, as written (#name or an ID). */
export function slackDestinations(config: SlackConfig): string[] {
  return config.channels.map((channel) => `slack:${channel}`);
}

export function slackSchema({ text, envText, secret, secretFile, switchedSection, nonEmptyList, secretChoice, secretValue, connectionKeys, connection }: SchemaHelpers) {
  const slackChannel = text('a channel such as #ops or C0123ABC').pipe(
    z.string().regex(/^(#[a-z0-9][a-z0-9._-]*|[CGD][A-Z0-9]{2,})$/, { error: expecting('a channel such as #ops (lower case) or an ID such as C0123ABC') }),
  );
  // Slack allows about one message per second per channel.
  const slack = switchedSection({
    bot_token: secret('bot_token').optional(),
    bot_token_file: secretFile('bot_token').optional(),
    app_token: secret('app_token').optional(),
    app_token_file: secretFile('app_token').optional(),
    channels: nonEmptyList(slackChannel, 'channels'),
    api_url: envText('an http(s):// URL ending in /api/').pipe(
      z.string().regex(/^https?:\/\/[^\s]+\/api\/$/, { error: expecting('an http(s):// URL ending in /api/') }),
    ).default('https://slack.com/api/'),
    retries: z.int({ error: expecting('a whole number from 0 to 10') }).min(0).max(10).default(3),
    threads: z.boolean({ error: expecting('true or false') }).default(true),
    broadcast_recoveries: z.boolean({ error: expecting('true or false') }).default(true),
    edit_root: z.boolean({ error: expecting('true or false') }).default(true),
    proxy: envText('an http(s)://host:port proxy URL')
      .pipe(z.string().regex(/^https?:\/\/[^\s/]+\/?$/, { error: expecting('an http(s)://host:port proxy URL') }))
      .optional(),
    ...connectionKeys(1, 1),
  })
    .superRefine((keys, ctx) => {
      secretChoice(keys, 'bot_token', ctx, true);
      secretChoice(keys, 'app_token', ctx, true);
    })
    .transform(
      (keys): SlackConfig => ({
        botToken: secretValue(keys.bot_token, keys.bot_token_file)!,
        appToken: secretValue(keys.app_token, keys.app_token_file)!,
        channels: keys.channels,
        apiUrl: keys.api_url,
        retries: keys.retries,
        threads: keys.threads,
        broadcastRecoveries: keys.broadcast_recoveries,
        editRoot: keys.edit_root,
        ...(keys.proxy === undefined ? {} : { proxy: keys.proxy }),
        ...connection(keys),
      }),
    );
  return slack;
}
