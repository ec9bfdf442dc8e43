/**
 * The one YAML config file: parsed, `${ENV}`-expanded, validated and merged with defaults.
 *
 * Every problem is collected and reported at once, each naming its key path, because a typo in
 * this file means alerts that never reach anyone. Unknown keys are errors for the same reason.
 *
 * `${NAME}` in a string value is replaced by that environment variable; an unset variable is an
 * error. `$${` stands for a literal `${`. Expansion happens after YAML parsing, so a variable's
 * value is always plain text and cannot inject YAML. It works in string values only: numbers and
 * booleans cannot come from the environment.
 *
 * Relative file paths (`ca_file`, `password_file`, ...) are relative to the config file's directory.
 */

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DurationError, formatDuration, parseDuration } from './duration.js';
import { DEFAULT_EVENT_TYPES, EVENT_TYPES, isEventType, type EventType } from './icinga/event-types.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import type { RateLimit } from './chat/token-bucket.js';
import { builtInRoles, defaultAccess } from './commands/access.js';
import { COMMANDS } from './commands/index.js';
import { DEDUP_KEEP, DEDUP_TYPES, type DedupSettings } from './noise/dedup.js';
import type { StormSettings } from './noise/storm.js';
import type { Route } from './router.js';
import { parseTemplate, type Template, type Templates } from './templates.js';
import type { WebConfig } from './web-links.js';

export type IcingaAuth =
  | { kind: 'password'; username: string; password: string; passwordFile?: string }
  | { kind: 'certificate'; username?: string; cert: string; key: string; certFile: string; keyFile: string };

export interface IcingaConfig {
  /** API endpoints, tried in order. */
  urls: string[];
  /** PEM CA certificates that sign the Icinga2 API certificate; the system CAs when absent. */
  ca?: string;
  caFile?: string;
  auth: IcingaAuth;
  events: EventType[];
  /** An Icinga2 filter expression, passed to the server as is. */
  filter?: string;
  maxLineBytes: number;
  probeIntervalMs: number;
  /** How long one API request (a probe, a catch-up read, a command's action) may take. */
  requestTimeoutMs: number;
  reconnect: { minMs: number; maxMs: number };
}

export interface FormatConfig {
  /** Longest message text, in characters. */
  width: number;
  /** Relay SOFT state changes too, not only HARD ones. */
  softStates: boolean;
}

export type ConsoleTimestamps = 'auto' | 'always' | 'never';

export interface ConsoleConfig {
  timestamps: ConsoleTimestamps;
}

/** What every networked chat backend has: its send throttle, queue bound and reconnect backoff. */
export interface ChatConnectionConfig {
  /** Token bucket for sending: per connection on IRC and XMPP, per channel on Slack. */
  rate: RateLimit;
  /** Messages kept per destination while the connection is down. */
  queueSize: number;
  reconnect: { minMs: number; maxMs: number };
}

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
}

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
  /** Later events of a problem go in the thread of its first message (src/chat/slack-threads.ts). */
  threads: boolean;
  /** A recovery in a thread is also shown in the channel (reply_broadcast). */
  broadcastRecoveries: boolean;
  /** The first message of a problem is edited to its current state (chat.update). */
  editRoot: boolean;
}

/** One optional entry per chat backend; at least one is present. */
export interface ChatConfig {
  console?: ConsoleConfig;
  irc?: IrcConfig;
  xmpp?: XmppConfig;
  slack?: SlackConfig;
}

/** How the acknowledgements made from chat behave (Icinga2's acknowledge-problem options). */
export interface AcknowledgementDefaults {
  /** Kept until the object recovers, through changes between problem states. */
  sticky: boolean;
  /** Sends ACKNOWLEDGEMENT notifications. */
  notify: boolean;
  /** Keeps the acknowledgement's comment after the acknowledgement ends. */
  persistent: boolean;
}

export interface CommandsConfig {
  /** What starts a command in a channel or room: `!ack ...`. */
  prefix: string;
  /** Most problem lines one `problems` reply lists before "... and M more". */
  maxLines: number;
  ack: AcknowledgementDefaults;
  /** Absolute path of the file that gets one JSON line per command; the log only when absent. */
  auditFile?: string;
  /** Commands per identity (senders without one share a bucket per backend). */
  rate: RateLimit;
}

/** Who may run which command; see src/commands/access.ts for the rules on top. */
export interface AccessConfig {
  /** Role → command names: the built-in viewer and operator roles, replaced or joined by the file's. */
  roles: Record<string, string[]>;
  /** Identity (`irc:alice`, `xmpp:bob@example.org`, `slack:U0123ABC`, `console`) → roles. */
  users: Record<string, string[]>;
  /** Roles of every sender, identified or not: read-only ones only. */
  everyone: string[];
  /** Destination → the only roles that apply there. */
  rooms: Record<string, string[]>;
  /** Identity → the Icinga2 author name of that person's actions. */
  authors: Record<string, string>;
}

export const DEFAULT_COMMANDS: CommandsConfig = {
  prefix: '!',
  maxLines: 10,
  ack: { sticky: true, notify: true, persistent: false },
  // One command every 5 s on average after a burst of 5: plenty for a person, little for a loop.
  rate: { burst: 5, perSecond: 0.2 },
};

/** Where the relay keeps what must survive a restart (src/catchup.ts). */
export interface StateConfig {
  /** Absolute path of an existing directory. */
  dir: string;
  /** How long a closed problem is remembered, holding its reference (src/problems/book.ts). */
  forgetProblemsAfterMs: number;
}

/** What SIGTERM does (src/relay.ts stop()). */
export interface ShutdownConfig {
  /** How long the outgoing queues may take to drain before the goodbye; keep it below the unit's TimeoutStopSec. */
  flushMs: number;
}

/** Silence detection (src/silence.ts). */
export interface SilenceConfig {
  afterMs: number;
  notify: string[];
}

/** Noise control per destination (src/noise/): dedup, storm grouping, rate limit, mutes. */
export interface NoiseConfig {
  dedup: DedupSettings;
  storm: StormSettings;
  /** Messages per destination, on top of each backend's own protocol throttle. */
  rate: RateLimit;
  /** Messages waiting for the rate limit per destination; overflow becomes a suppression notice. */
  queueSize: number;
  /** How long `mute <pattern>` lasts without `for <duration>`. */
  muteForMs: number;
  /** Absolute path of the JSON file that keeps mutes across restarts; in memory only when absent. */
  stateFile?: string;
}

export const DEFAULT_NOISE: NoiseConfig = {
  // Icinga2 sends the repeats of one change within milliseconds; a minute also covers a
  // StateChange and its notification split across two of 2.13's 5-second delivery ticks.
  // keep: first, because holding the StateChange for its notification delays every alert; the
  // hold applies only with keep: notification (2.13 may split the two across one ~5 s tick).
  dedup: { windowMs: 60_000, types: [...DEDUP_TYPES], keep: 'first', holdMs: 6_000 },
  // One second: a lone alert waits at most that long, and 2.13 delivers a burst within one tick.
  storm: { windowMs: 1_000, groupFrom: 3, names: 5, hostLines: 3 },
  // 12 messages a minute after a burst of 10: readable, and a 20-message queue is 100 s behind at most.
  rate: { burst: 10, perSecond: 0.2 },
  queueSize: 20,
  muteForMs: 3_600_000,
};

export interface RelayConfig {
  /** Absolute path of the file this came from, for messages; absent for config text. */
  configFile?: string;
  icinga: IcingaConfig;
  format: FormatConfig;
  chat: ChatConfig;
  log: { level: LogLevel };
  /** Absent when the file has no commands section: DEFAULT_COMMANDS apply. */
  commands?: CommandsConfig;
  /** Absent when the file has no access section: defaultAccess() applies, the console alone may act. */
  access?: AccessConfig;
  /** Absent when the file has no routes section: every event goes to every destination. */
  routes?: Route[];
  /** Event type → the template that replaces its formatter's text. */
  templates?: Templates;
  /** Absent when the file has no state section: hard states are kept in memory only (src/catchup.ts). */
  state?: StateConfig;
  /** Absent when the file has no silence section: nobody is told when the stream is lost. */
  silence?: SilenceConfig;
  /** Absent when the file has no noise section: DEFAULT_NOISE applies. */
  noise?: NoiseConfig;
  /** Absent when the file has no http section: no /healthz or /metrics listener. */
  http?: HttpConfig;
  shutdown: ShutdownConfig;
  /** Absent when the file has no web section: replies and Slack roots carry no links (src/web-links.ts). */
  web?: WebConfig;
}

/** The /healthz and /metrics listener (src/health.ts). */
export interface HttpConfig {
  host: string;
  /** 0: any free port (tests). */
  port: number;
}

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9120';

export interface LoadedConfig {
  config: RelayConfig;
  /** For the caller to log: problems that do not stop the relay. */
  warnings: string[];
  /** Every secret value in the config, for the caller to mask in logs. */
  secrets: string[];
}

export interface ConfigSource {
  /** The file the text came from: named in messages, and the base of relative file paths. */
  path?: string;
  env: NodeJS.ProcessEnv;
  /** The permission bits of the file at `path`, when known: a secret in a file others can read is warned about. */
  mode?: number;
}

/** Used when no config file is given: a local Icinga2, reached through the environment. */
export const DEFAULT_CONFIG_YAML = `icinga:
  url: \${ICINGA_RELAY_URL}
  ca_file: \${ICINGA_RELAY_CA_FILE}
  username: \${ICINGA_RELAY_USERNAME}
  password: \${ICINGA_RELAY_PASSWORD}
chat:
  console:
    timestamps: auto
`;

export class ConfigError extends Error {
  constructor(
    readonly errors: string[],
    readonly path?: string,
  ) {
    super(`invalid configuration${path ? ` in ${path}` : ''}:\n${errors.map((error) => `  - ${error}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DURATION_EXAMPLE = 'a duration such as 90s, 30m, 2h or 1d12h';
/** Identities as the chat backends vouch for them: services account, bare JID, Slack user ID, the local console. */
const IDENTITY = /^(irc:[^\s:#&][^\s:]*|xmpp:[^@/\s]+@[^@/\s]+|slack:[UW][A-Z0-9]+|console)$/;
const DESTINATION = /^(console|(irc|xmpp|slack):\S+)$/;
const ROLE_NAME = /^[A-Za-z][\w-]*$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_REFERENCE = /\$(\$?)\{([^}]*)(\}?)/g;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What was found, as a config error shows it. */
function describeValue(value: unknown): string {
  if (value == null) return 'nothing';
  if (Array.isArray(value)) {
    const json = JSON.stringify(value);
    return json.length <= 60 ? json : `a list of ${value.length} items`;
  }
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** "a password", "an app_token". */
function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** What was found, without showing it: for secrets. */
function describeKind(value: unknown): string {
  if (value == null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

type ErrorMessage = (issue: z.core.$ZodRawIssue) => string;

const expecting =
  (what: string): ErrorMessage =>
  (issue) =>
    `expected ${what} but found ${describeValue(issue.input)}`;

/** Node's message ends with the system call and the path; the path is in our message already. */
function fileProblem(error: unknown): string {
  return (error as Error).message.split(',')[0];
}

function pathLabel(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'top level';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | null | undefined)?.[key], data);
}

/** One issue as the lines a user reads; `data` tells a missing key from a key of the wrong type. */
function issueMessages(issue: z.core.$ZodIssue, data: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${pathLabel([...issue.path, key])}: ${issue.message}`);
  }
  // YAML has no undefined, so an issue about an undefined value is about an absent key.
  if (valueAt(data, issue.path) === undefined) {
    return [`${pathLabel(issue.path.slice(0, -1))}: missing required key "${String(issue.path.at(-1))}"`];
  }
  return [`${pathLabel(issue.path)}: ${issue.message}`];
}

/** Auth problems from which keys are present, so they show even while other icinga keys are wrong. */
function authProblems(icinga: Record<string, unknown>): string[] {
  const has = (key: string) => icinga[key] !== undefined;
  const password = has('password') || has('password_file');
  const certificate = has('cert_file') || has('key_file');
  const problems: string[] = [];
  if (password && certificate) {
    problems.push(
      'expected either password auth (password / password_file) or client-certificate auth (cert_file + key_file) but found both',
    );
  }
  if (has('password') && has('password_file')) problems.push('expected either password or password_file but found both');
  if (password && !has('username')) problems.push('missing required key "username" (password auth needs it)');
  for (const [key, partner] of [['cert_file', 'key_file'], ['key_file', 'cert_file']]) {
    if (has(key) && !has(partner)) problems.push(`missing required key "${partner}" (${key} needs it)`);
  }
  if (!password && !certificate) {
    problems.push(
      'expected password auth (username with password or password_file) or client-certificate auth (cert_file + key_file) but found neither',
    );
  }
  return problems;
}

interface FileContents {
  path: string;
  contents: string;
}

interface IcingaKeys {
  username?: string;
  password?: string;
  password_file?: FileContents;
  cert_file?: FileContents;
  key_file?: FileContents;
}

function icingaAuth({ username, password, password_file, cert_file, key_file }: IcingaKeys): IcingaAuth {
  // authProblems() has rejected every other combination, and a rejected refinement stops the transform.
  if (cert_file && key_file) {
    return { kind: 'certificate', username, cert: cert_file.contents, certFile: cert_file.path, key: key_file.contents, keyFile: key_file.path };
  }
  return { kind: 'password', username: username!, password: password ?? password_file!.contents, passwordFile: password_file?.path };
}

interface SchemaContext {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  /** Filled while parsing. */
  secrets: string[];
  /** Keys whose secret is written in the file itself rather than taken from ${ENV}. */
  inlineSecretKeys: Set<string>;
}

/** The schema, built per parse because its leaves expand ${ENV}, read files and collect secrets. */
function configSchema(context: SchemaContext) {
  /** Expands ${NAME} references; `literal` tells whether any text came from the file itself. */
  function expand(raw: string, ctx: z.core.$RefinementCtx, { secret = false } = {}): { value: string; literal: boolean } {
    let referencedLength = 0;
    const value = raw.replace(VARIABLE_REFERENCE, (reference: string, escape: string, name: string, close: string) => {
      if (escape) return reference.slice(1);
      let problem: string | undefined;
      if (!close || !VARIABLE_NAME.test(name)) {
        // A secret's text stays out of error messages, which end up in logs.
        const found = secret ? 'the value holds an invalid variable reference' : `${JSON.stringify(reference)} is not a valid variable reference`;
        problem = `${found}: write \${NAME} (letters, digits, _), or $\${ for a literal \${`;
      } else if (context.env[name] === undefined) {
        problem = `environment variable ${name} is not set`;
      }
      if (problem) {
        // Not fatal, so that a union (icinga.url) still knows which of its options the value was meant for.
        ctx.addIssue({ code: 'custom', message: problem, continue: true });
        return reference;
      }
      referencedLength += reference.length;
      return context.env[name]!;
    });
    return { value, literal: referencedLength < raw.length };
  }

  const envText = (what: string) =>
    z.string({ error: expecting(what) }).transform((raw, ctx) => expand(raw, ctx).value);

  const text = (what: string) => envText(what).pipe(z.string().min(1, { error: expecting(what) }));

  const choice = <const T extends readonly string[]>(values: T) =>
    envText(`one of ${values.join(', ')}`).pipe(z.enum(values, { error: expecting(`one of ${values.join(', ')}`) }));

  const duration = envText(DURATION_EXAMPLE).transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      // parseDuration throws nothing else.
      const { reason } = error as DurationError;
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_EXAMPLE} but found ${JSON.stringify(value)} (${reason})` });
      return z.NEVER;
    }
  });

  const file = (what: string) =>
    text(`the path of ${what}`).transform((name, ctx): FileContents => {
      const path = resolve(context.baseDir, name);
      try {
        return { path, contents: readFileSync(path, 'utf8') };
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${fileProblem(error)})` });
        return z.NEVER;
      }
    });

  /** A secret in the file: expanded and collected like any string, but never shown in errors. */
  const secret = (key: string) =>
    z
      .string({ error: (issue) => `expected ${withArticle(key)} (a string: quote it) but found ${describeKind(issue.input)}` })
      .transform((raw, ctx) => {
        const { value, literal } = expand(raw, ctx, { secret: true });
        if (literal) context.inlineSecretKeys.add(key);
        return value;
      })
      .pipe(z.string().min(1, { error: `expected ${withArticle(key)} but found an empty string` }))
      .transform((value) => {
        context.secrets.push(value);
        return value;
      });

  /** `<key>_file`: the secret is the file's contents, without the newline editors add. */
  const secretFile = (key: string) =>
    file(`a file holding the ${key}`).transform(({ path, contents }, ctx): FileContents => {
      const value = contents.replace(/\r?\n$/, '');
      if (value === '') {
        ctx.addIssue({ code: 'custom', message: `expected ${withArticle(key)} in ${path} but found an empty file` });
        return z.NEVER;
      }
      context.secrets.push(value);
      return { path, contents: value };
    });

  const httpsUrl = envText('an https:// URL').superRefine(
    (text, ctx) => {
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (url?.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `expected an https:// URL but found ${JSON.stringify(text)}` });
      } else if (url.username || url.password) {
        // fetch() refuses such URLs, and they would put the password in logs.
        ctx.addIssue({ code: 'custom', message: 'expected an https:// URL without user:password@ (use username and password) but found one with it' });
      }
    },
    // Not on top of an unset variable. A refinement rather than a pipe, which would make that
    // problem fatal and hide from the union in icinga.url which option the value was meant for.
    { when: (payload) => payload.issues.length === 0 },
  );

  /** A mapping that accepts only these keys. */
  const section = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys' ? `unknown key (allowed: ${Object.keys(shape).join(', ')})` : expecting('a mapping')(issue),
    });

  /** A section of defaults only: absent, or present with every line commented out, means all defaults. */
  const optionalSection = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.preprocess((value) => value ?? {}, section(shape));

  const reconnect = optionalSection({ min: duration.prefault('1s'), max: duration.prefault('60s') }).transform(({ min, max }, ctx) => {
    if (min > max) {
      ctx.addIssue({ code: 'custom', message: `expected min no longer than max but found min ${formatDuration(min)}, max ${formatDuration(max)}` });
      return z.NEVER;
    }
    return { minMs: min, maxMs: max };
  });

  /**
   * A section that is off when absent (a chat backend, commands, access); present with nothing
   * under it (`console:`, every line commented out) turns it on with defaults.
   */
  const switchedSection = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.preprocess((value) => (value === null ? {} : value), section(shape));

  /** A secret given as `<key>` or `<key>_file`, at most one of them (`required`: exactly one). */
  const secretChoice = (keys: Record<string, unknown>, key: string, ctx: z.core.$RefinementCtx, required: boolean) => {
    const inline = keys[key] !== undefined;
    const fromFile = keys[`${key}_file`] !== undefined;
    if (inline && fromFile) ctx.addIssue({ code: 'custom', message: `expected either ${key} or ${key}_file but found both` });
    if (required && !inline && !fromFile) ctx.addIssue({ code: 'custom', message: `missing required key "${key}" (or ${key}_file)` });
  };
  const secretValue = (inline: unknown, fromFile: unknown) => (inline as string | undefined) ?? (fromFile as FileContents | undefined)?.contents;

  /** A token bucket: `burst` at once, then `per_second` on average. */
  const rateLimit = (burst: number, perSecond: number, unit = 'messages') =>
    optionalSection({
      burst: z.int({ error: expecting(`a whole number of ${unit}, at least 1`) }).min(1).default(burst),
      per_second: z.number({ error: expecting(`a number of ${unit} per second above 0`) }).positive().default(perSecond),
    });

  const connectionKeys = (burst: number, perSecond: number) => ({
    rate: rateLimit(burst, perSecond),
    queue_size: z.int({ error: expecting('a whole number of messages from 1 to 1000000') }).min(1).max(1_000_000).default(1000),
    reconnect,
  });
  const connection = (keys: { rate: { burst: number; per_second: number }; queue_size: number; reconnect: { minMs: number; maxMs: number } }): ChatConnectionConfig => ({
    rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
    queueSize: keys.queue_size,
    reconnect: keys.reconnect,
  });
  const nonEmptyList = <T extends z.ZodType>(item: T, what: string) =>
    z.array(item, { error: expecting(`a list of ${what}`) }).min(1, { error: `expected at least one of ${what} but found an empty list` });

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
    ca_file: file('a CA certificate file (PEM)').optional(),
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
    ca_file: file('a CA certificate file (PEM)').optional(),
    allow_plaintext: z.boolean({ error: expecting('true or false') }).default(false),
    nick: text('a room nick').prefault('icinga-relay'),
    rooms: nonEmptyList(xmppRoom, 'rooms'),
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
        ...connection(keys),
      }),
    );

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
        ...connection(keys),
      }),
    );

  // One entry per backend: adding a backend to the config means adding its block here.
  const chatBackends = {
    console: switchedSection({ timestamps: choice(['auto', 'always', 'never']).default('auto') }).optional(),
    irc: irc.optional(),
    xmpp: xmpp.optional(),
    slack: slack.optional(),
  };

  const urls = z
    .union([httpsUrl, z.array(httpsUrl).min(1, { error: 'expected at least one URL but found an empty list' })], {
      error: expecting('an https:// URL or a list of them'),
    })
    .transform((url) => (typeof url === 'string' ? [url] : url));

  const events = z
    .array(choice(EVENT_TYPES), { error: expecting('a list of event types') })
    .min(1, { error: 'expected at least one event type but found an empty list' })
    .superRefine((types, ctx) => {
      types.forEach((type, index) => {
        if (types.indexOf(type) < index) {
          ctx.addIssue({ code: 'custom', message: `expected each event type once but found ${JSON.stringify(type)} again`, path: [index] });
        }
      });
    })
    .default([...DEFAULT_EVENT_TYPES]);

  const icinga = section({
    url: urls,
    ca_file: file('a CA certificate file (PEM)').optional(),
    username: text('a user name').optional(),
    password: secret('password').optional(),
    password_file: secretFile('password').optional(),
    cert_file: file('a client certificate file (PEM)').optional(),
    key_file: file('a private key file (PEM)').optional(),
    events,
    filter: text('an Icinga2 filter expression').optional(),
    max_line_bytes: z.int({ error: expecting('a positive whole number of bytes') }).positive().default(8 * 1024 * 1024),
    probe_interval: duration.prefault('60s'),
    request_timeout: duration.prefault('10s'),
    reconnect,
  })
    .superRefine(
      (keys, ctx) => {
        for (const message of authProblems(keys)) ctx.addIssue({ code: 'custom', message });
      },
      // Also when other icinga keys are wrong, so all problems show at once; only presence is checked.
      { when: (payload) => isMapping(payload.value) },
    )
    .transform(
      (keys): IcingaConfig => ({
        urls: keys.url,
        ...(keys.ca_file && { ca: keys.ca_file.contents, caFile: keys.ca_file.path }),
        auth: icingaAuth(keys),
        events: keys.events,
        ...(keys.filter !== undefined && { filter: keys.filter }),
        maxLineBytes: keys.max_line_bytes,
        probeIntervalMs: keys.probe_interval,
        requestTimeoutMs: keys.request_timeout,
        reconnect: keys.reconnect,
      }),
    );

  const format = optionalSection({
    width: z.int({ error: expecting('a whole number from 40 to 4000') }).min(40).max(4000).default(400),
    soft_states: z.boolean({ error: expecting('true or false') }).default(false),
  }).transform(({ width, soft_states }): FormatConfig => ({ width, softStates: soft_states }));

  const chat = z
    .preprocess((value) => (value === undefined ? { console: {} } : (value ?? {})), section(chatBackends))
    .refine((backends) => Object.values(backends).some((backend) => backend !== undefined), {
      error: `expected at least one backend (${Object.keys(chatBackends).join(', ')}) but found none`,
    });

  const log = optionalSection({ level: choice(LOG_LEVELS).default('info') });

  /** A file the relay writes (audit log, state): created on first use, so only its directory has to exist now. */
  const writableFile = (what: string) =>
    text(`the path of ${what}`).transform((name, ctx) => {
      const path = resolve(context.baseDir, name);
      try {
        if (!statSync(dirname(path)).isDirectory()) throw new Error(`${dirname(path)} is not a directory`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot write ${path} (${fileProblem(error)})` });
        return z.NEVER;
      }
      return path;
    });
  const auditFile = writableFile('the audit file');

  const commands = switchedSection({
    prefix: text('a command prefix such as !')
      .pipe(z.string().regex(/^[^\s"]{1,8}$/, { error: expecting('a command prefix of 1 to 8 characters without spaces or quotes, such as !') }))
      .prefault(DEFAULT_COMMANDS.prefix),
    max_lines: z.int({ error: expecting('a whole number of lines from 1 to 100') }).min(1).max(100).default(DEFAULT_COMMANDS.maxLines),
    ack: optionalSection({
      sticky: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.sticky),
      notify: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.notify),
      persistent: z.boolean({ error: expecting('true or false') }).default(DEFAULT_COMMANDS.ack.persistent),
    }),
    audit_file: auditFile.optional(),
    rate: rateLimit(DEFAULT_COMMANDS.rate.burst, DEFAULT_COMMANDS.rate.perSecond, 'commands'),
  })
    .transform(
      (keys): CommandsConfig => ({
        prefix: keys.prefix,
        maxLines: keys.max_lines,
        ack: keys.ack,
        ...(keys.audit_file !== undefined && { auditFile: keys.audit_file }),
        rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
      }),
    )
    .optional();

  /** A mapping whose keys must have a form: identities, destinations, role names. */
  const keyedMapping = <T extends z.ZodType>(value: T, what: string, key: { form: RegExp; what: string }) =>
    z.record(z.string(), value, { error: expecting(what) }).superRefine(
      (mapping, ctx) => {
        for (const name of Object.keys(mapping)) {
          if (!key.form.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `expected ${key.what} but found ${JSON.stringify(name)}` });
        }
      },
      // Also when some values are wrong, so all problems show at once; only the keys are checked.
      { when: (payload) => isMapping(payload.value) },
    );
  const identityKey = { form: IDENTITY, what: 'an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console' };
  const roleList = z.array(text('a role name'), { error: expecting('a list of roles') });
  const commandNames = COMMANDS.all().map((command) => command.name);

  const access = switchedSection({
    roles: keyedMapping(z.array(choice(commandNames), { error: expecting('a list of commands') }), 'a mapping of roles to lists of commands', {
      form: ROLE_NAME,
      what: 'a role name (letters, digits, - and _)',
    }).default({}),
    users: keyedMapping(roleList, 'a mapping of identities to lists of roles', identityKey).default(defaultAccess(COMMANDS).users),
    everyone: roleList.default([]),
    rooms: keyedMapping(roleList, 'a mapping of destinations to lists of roles', {
      form: DESTINATION,
      what: 'a destination such as irc:#ops, xmpp:ops@conference.example.org, slack:#ops or console',
    }).default({}),
    authors: keyedMapping(text('an author name'), 'a mapping of identities to author names', identityKey).default({}),
  })
    .superRefine(
      (keys, ctx) => {
        // Runs while other access keys may be wrong (see below): only well-formed lists are looked at.
        const lists = (value: unknown) => (isMapping(value) ? Object.entries(value).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1])) : []);
        const roles = new Map<string, unknown[]>([...Object.entries(builtInRoles(COMMANDS)), ...lists(keys.roles)]);
        const check = (role: unknown, path: PropertyKey[]) => {
          if (typeof role !== 'string') return;
          const granted = roles.get(role);
          if (granted === undefined) {
            ctx.addIssue({ code: 'custom', path, message: `expected one of the roles ${[...roles.keys()].join(', ')} but found ${JSON.stringify(role)}` });
            return;
          }
          if (path[0] !== 'everyone') return;
          // Everyone includes senders nobody vouches for: what they may do must not change Icinga2.
          const writes = granted.filter((name) => typeof name === 'string' && COMMANDS.find(name)?.role === 'operator');
          if (writes.length > 0) {
            ctx.addIssue({ code: 'custom', path, message: `expected read-only roles for everyone but role "${role}" grants ${writes.join(', ')}` });
          }
        };
        for (const [identity, list] of lists(keys.users)) list.forEach((role, index) => check(role, ['users', identity, index]));
        for (const [destination, list] of lists(keys.rooms)) list.forEach((role, index) => check(role, ['rooms', destination, index]));
        if (Array.isArray(keys.everyone)) keys.everyone.forEach((role, index) => check(role, ['everyone', index]));
      },
      // Also when other access keys are wrong, so all problems show at once.
      { when: (payload) => isMapping(payload.value) },
    )
    .transform((keys): AccessConfig => ({ ...keys, roles: { ...builtInRoles(COMMANDS), ...keys.roles } }))
    .optional();

  /** One value, or a list of alternatives any of which will do. */
  const alternatives = <T extends z.ZodType>(item: T, what: string) =>
    z
      .union([item, z.array(item).min(1, { error: `expected ${what} or a list of them but found an empty list` })], {
        error: expecting(`${what} or a list of them`),
      })
      .transform((value) => (Array.isArray(value) ? value : [value]) as z.output<T>[]);
  const namePattern = (what: string) => `${what} or glob pattern (* and ?)`;
  const varValue = z
    .union([z.string(), z.number(), z.boolean()])
    .transform((value) => String(value));
  const match = optionalSection({
    type: alternatives(choice(EVENT_TYPES), `one of ${EVENT_TYPES.join(', ')}`).optional(),
    host: alternatives(text(namePattern('a host name')), namePattern('a host name')).optional(),
    service: alternatives(text(namePattern('a service name')), namePattern('a service name')).optional(),
    state: alternatives(choice(ROUTE_STATES), `one of ${ROUTE_STATES.join(', ')}`).optional(),
    state_type: alternatives(choice(['SOFT', 'HARD']), 'SOFT or HARD').optional(),
    host_group: alternatives(text(namePattern('a HostGroup name')), namePattern('a HostGroup name')).optional(),
    service_group: alternatives(text(namePattern('a ServiceGroup name')), namePattern('a ServiceGroup name')).optional(),
    vars: keyedMapping(alternatives(varValue, 'a string, number or true/false'), 'a mapping of custom variable names to values', {
      form: /^[A-Za-z_][\w-]*$/,
      what: 'a custom variable name (letters, digits, - and _)',
    }).optional(),
  }).transform((keys): Route['match'] => ({
    ...(keys.type && { types: keys.type }),
    ...(keys.host && { hosts: keys.host }),
    ...(keys.service && { services: keys.service }),
    ...(keys.state && { states: keys.state }),
    ...(keys.state_type && { stateTypes: keys.state_type }),
    ...(keys.host_group && { hostGroups: keys.host_group }),
    ...(keys.service_group && { serviceGroups: keys.service_group }),
    ...(keys.vars && { vars: keys.vars }),
  }));
  const aDestination = 'a destination such as irc:#ops, xmpp:ops@conference.example.org, slack:#ops or console';
  const destination = text(aDestination).pipe(z.string().regex(DESTINATION, { error: expecting(aDestination) }));
  const routes = z
    .array(section({ match, to: alternatives(destination, aDestination), stop: z.boolean({ error: expecting('true or false') }).default(false) }), {
      error: expecting('a list of routes'),
    })
    .optional();

  const templates = z
    .record(z.string(), text('a template such as "{state} {object}: {output}"'), { error: expecting('a mapping of event types to templates') })
    .transform((sources, ctx): Templates => {
      const parsed = new Map<string, Template>();
      for (const [type, source] of Object.entries(sources)) {
        if (!isEventType(type)) {
          ctx.addIssue({ code: 'custom', path: [type], message: `expected an event type (${EVENT_TYPES.join(', ')}) but found ${JSON.stringify(type)}` });
          continue;
        }
        const { template, problems } = parseTemplate(source, type);
        for (const message of problems) ctx.addIssue({ code: 'custom', path: [type], message });
        parsed.set(type, template);
      }
      return parsed;
    })
    .optional();

  // ---------------------------------------------------------------- noise (src/noise/)
  const count = (what: string, min: number, max: number) =>
    z.int({ error: expecting(`a whole number of ${what} from ${min} to ${max}`) }).min(min).max(max);

  const noise = switchedSection({
    dedup: optionalSection({
      window: duration.prefault('60s'),
      types: z
        .array(choice(DEDUP_TYPES), { error: expecting(`a list of event types (${DEDUP_TYPES.join(', ')})`) })
        .default([...DEFAULT_NOISE.dedup.types]),
      keep: choice(DEDUP_KEEP).default(DEFAULT_NOISE.dedup.keep!),
      hold: duration.prefault('6s'),
    }),
    storm: optionalSection({
      window: duration.prefault('1s'),
      group_from: count('messages', 2, 1000).default(DEFAULT_NOISE.storm.groupFrom),
      names: count('names', 1, 50).default(DEFAULT_NOISE.storm.names),
      host_lines: count('lines', 1, 100).default(DEFAULT_NOISE.storm.hostLines),
    }),
    rate: rateLimit(DEFAULT_NOISE.rate.burst, DEFAULT_NOISE.rate.perSecond),
    queue_size: count('messages', 1, 10_000).default(DEFAULT_NOISE.queueSize),
    mute_for: duration.prefault('1h'),
    state_file: writableFile('the mutes state file').optional(),
  })
    .transform(
      (keys): NoiseConfig => ({
        dedup: { windowMs: keys.dedup.window, types: [...new Set(keys.dedup.types)], keep: keys.dedup.keep, holdMs: keys.dedup.hold },
        storm: { windowMs: keys.storm.window, groupFrom: keys.storm.group_from, names: keys.storm.names, hostLines: keys.storm.host_lines },
        rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
        queueSize: keys.queue_size,
        muteForMs: keys.mute_for,
        ...(keys.state_file !== undefined && { stateFile: keys.state_file }),
      }),
    )
    .optional();

  // ---------------------------------------------------------------- http (src/health.ts)
  const http = switchedSection({
    listen: z
      .string({ error: expecting('host:port, e.g. 127.0.0.1:9120 ([::1]:9120 for IPv6)') })
      .default(DEFAULT_HTTP_LISTEN)
      .transform((listen, ctx): HttpConfig => {
        const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(listen);
        const port = match ? Number(match[3]) : NaN;
        if (!match || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `expected host:port, e.g. 127.0.0.1:9120 ([::1]:9120 for IPv6), but found ${JSON.stringify(listen)}` });
          return z.NEVER;
        }
        return { host: match[1] ?? match[2], port };
      }),
  })
    .transform((keys): HttpConfig => keys.listen)
    .optional();

  // ---------------------------------------------------------------- state and silence (src/catchup.ts, src/silence.ts)
  const state = section({
    dir: text('the path of the state directory').transform((name, ctx) => {
      const path = resolve(context.baseDir, name);
      try {
        if (!statSync(path).isDirectory()) throw new Error(`${path} is not a directory`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot use ${path} as the state directory (${fileProblem(error)})` });
        return z.NEVER;
      }
      return path;
    }),
    forget_problems_after: duration.prefault('7d'),
  })
    .transform((keys): StateConfig => ({ dir: keys.dir, forgetProblemsAfterMs: keys.forget_problems_after }))
    .optional();
  const silence = section({
    after: duration.prefault('2m'),
    notify: z.array(destination, { error: expecting('a list of destinations such as [irc:#ops]') }).min(1, { error: expecting('at least one destination') }),
  })
    .transform((keys): SilenceConfig => ({ afterMs: keys.after, notify: keys.notify }))
    .optional();
  // ---------------------------------------------------------------- links to Icinga Web (src/web-links.ts)
  const web = section({
    url: envText('an http(s):// URL such as https://monitoring.example.org/icingaweb2').pipe(
      z.string().regex(/^https?:\/\/[^\s?#]+$/, { error: expecting('an http(s):// URL such as https://monitoring.example.org/icingaweb2') }),
    ),
    module: choice(['icingadb', 'monitoring']).default('icingadb'),
  })
    .transform((keys): WebConfig => ({ url: keys.url.replace(/\/+$/, ''), module: keys.module }))
    .optional();
  const shutdown = optionalSection({
    flush: duration.prefault('5s'),
  }).transform((keys): ShutdownConfig => ({ flushMs: keys.flush }));

  return section({ icinga, format, chat, log, commands, access, routes, templates, noise, http, state, silence, shutdown, web }).superRefine((config, ctx) => {
    // The relay sends only where a backend is configured: a route to anywhere else would lose alerts without a word.
    const configured = chatDestinations(config.chat);
    config.routes?.forEach((route, index) =>
      route.to.forEach((name, position) => {
        if (!configured.includes(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', index, 'to', position],
            message: `expected a destination the chat section configures (${configured.join(', ')}) but found ${JSON.stringify(name)}`,
          });
        }
      }),
    );
    config.silence?.notify.forEach((name, position) => {
      if (!configured.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['silence', 'notify', position],
          message: `expected a destination the chat section configures (${configured.join(', ')}) but found ${JSON.stringify(name)}`,
        });
      }
    });
  });
}

const ROUTE_STATES = ['UP', 'DOWN', 'OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** Where the configured backends can send: the same names the backends serve. */
export function chatDestinations(chat: ChatConfig): string[] {
  return [
    ...(chat.console ? ['console'] : []),
    ...(chat.irc?.channels.map((channel) => `irc:${channel.name}`) ?? []),
    ...(chat.xmpp?.rooms.map((room) => `xmpp:${room.jid}`) ?? []),
    ...(chat.slack?.channels.map((channel) => `slack:${channel}`) ?? []),
  ];
}

/** Routes that are valid but probably not what was meant. */
function routeWarnings(config: RelayConfig): string[] {
  if (config.routes === undefined) return [];
  const warnings: string[] = [];
  const used = new Set(config.routes.flatMap((route) => route.to));
  const unused = chatDestinations(config.chat).filter((name) => !used.has(name));
  if (unused.length > 0) warnings.push(`routes: no route sends to ${unused.join(', ')}: nothing will be relayed there`);
  config.routes.forEach(({ match }, index) => {
    const unsubscribed = match.types?.filter((type) => !config.icinga.events.includes(type as EventType)) ?? [];
    if (unsubscribed.length > 0) {
      warnings.push(`routes[${index}].match.type: ${unsubscribed.join(', ')} not in icinga.events, so never relayed`);
    }
    if (match.stateTypes?.includes('SOFT') && !config.format.softStates) {
      warnings.push(`routes[${index}].match.state_type: SOFT states are dropped before routing unless format.soft_states is true`);
    }
  });
  return warnings;
}

/** Parses and validates config text; throws a ConfigError listing every problem found. */
export function parseConfig(text: string, source: ConfigSource): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const errors = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `YAML syntax error at line ${line}, column ${col}: ${error.message}`;
    });
    throw new ConfigError(errors, source.path);
  }
  if (document.contents === null) {
    throw new ConfigError(['top level: expected a mapping with at least an icinga section but found an empty file'], source.path);
  }

  const data: unknown = document.toJS();
  const context: SchemaContext = {
    env: source.env,
    baseDir: source.path ? dirname(resolve(source.path)) : process.cwd(),
    secrets: [],
    inlineSecretKeys: new Set(),
  };
  const result = configSchema(context).safeParse(data);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => issueMessages(issue, data)),
      source.path,
    );
  }

  const warnings = routeWarnings(result.data);
  const inlineSecretKeys = [...context.inlineSecretKeys];
  if (source.mode !== undefined && (source.mode & 0o044) !== 0 && inlineSecretKeys.length > 0) {
    const readers = source.mode & 0o004 ? 'others' : 'its group';
    const mode = (source.mode & 0o777).toString(8).padStart(4, '0');
    warnings.push(
      `config file ${source.path} is readable by ${readers} (mode ${mode}) and holds ` +
        `${inlineSecretKeys.map((key) => `a ${key}`).join(' and ')}: chmod 600 it or use ` +
        `${inlineSecretKeys.map((key) => `${key}_file`).join(', ')} / \${ENV}`,
    );
  }
  const config: RelayConfig = source.path ? { configFile: resolve(source.path), ...result.data } : result.data;
  return { config, warnings, secrets: context.secrets };
}

/** Reads and parses the config file at `path`; see parseConfig. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (error) {
    throw new ConfigError([`cannot read ${path} (${fileProblem(error)})`], path);
  }
  return parseConfig(text, { path, env, mode });
}
