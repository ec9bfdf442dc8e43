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
 *
 * Each section has its module here (icinga, commands, access, routes, noise, http, state); each chat
 * backend's section is in its folder (src/chat/<name>/config.ts), listed by src/chat/registry.ts.
 * This file composes them and keeps the checks that span sections.
 */

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { COMMANDS } from '../commands/index.js';
import { closestMatch } from '../util/closest-match.js';
import { BACKENDS, CHAT_NAMING, chatDestinations, type ChatConfig } from '../chat/registry.js';
import type { EventType } from '../icinga/event-types.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import type { Route } from '../router.js';
import type { Templates } from '../templates.js';
import { accessSection, type AccessConfig, type CommandList } from './access.js';
import { commandsSection, type CommandsConfig } from './commands.js';
import { httpSection, type HttpConfig } from './http.js';
import { icingaSection, type IcingaConfig } from './icinga.js';
import { noiseSection, type NoiseConfig } from './noise.js';
import { routesSection, templatesSection } from './routes.js';
import { expecting, fileProblem, isMapping, schemaHelpers, SERVICE_USER, type SchemaContext } from './schema.js';
import { shutdownSection, silenceSection, stateSection, type ShutdownConfig, type SilenceConfig, type StateConfig } from './state.js';
import { webSection } from './web.js';
import type { WebConfig } from '../web-links.js';

export { builtInRoles, defaultAccess, type AccessConfig, type CommandList, type CommandRole } from './access.js';
export { DEFAULT_COMMANDS, type AcknowledgementDefaults, type CommandsConfig } from './commands.js';
export { DEFAULT_HTTP_LISTEN, type HttpConfig } from './http.js';
export type { IcingaAuth, IcingaConfig } from './icinga.js';
export { DEFAULT_NOISE, type NoiseConfig } from './noise.js';
export type { ChatConnectionConfig } from './schema.js';
export type { ShutdownConfig, SilenceConfig, StateConfig } from './state.js';
export { chatDestinations, type ChatConfig } from '../chat/registry.js';
export type { ConsoleConfig, ConsoleTimestamps } from '../chat/console/config.js';
export type { IrcChannel, IrcConfig } from '../chat/irc/config.js';
export type { SlackConfig } from '../chat/slack/config.js';
export type { XmppConfig, XmppRoom } from '../chat/xmpp/config.js';

export interface FormatConfig {
  /** Longest message text, in characters. */
  width: number;
  /** Relay SOFT state changes too, not only HARD ones. */
  softStates: boolean;
}

export interface RelayConfig {
  /** Absolute path of the file this came from, for messages; absent for config text. */
  configFile?: string;
  icinga: IcingaConfig;
  format: FormatConfig;
  chat: ChatConfig;
  /** `deliveries`: one info line per message sent, per destination. */
  log: { level: LogLevel; deliveries: boolean };
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

export interface LoadedConfig {
  config: RelayConfig;
  /** For the caller to log: problems that do not stop the relay. */
  warnings: string[];
  /** Every secret value in the config, for the caller to mask in logs. */
  secrets: string[];
}

export interface ConfigSource {
  /** The commands the access section may name; the built-in ones (src/commands/) unless a caller says otherwise. */
  commands?: CommandList;
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
/** The allowed key a typo most likely meant (closestMatch), or the one it is a part of ("user" for username). */
function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const word = key.toLowerCase();
  return closestMatch(word, allowed) ?? (word.length >= 3 ? allowed.find((name) => name.startsWith(word) || word.startsWith(name)) : undefined);
}

/**
 * Lines where a `#` right after `[`, `{`, `,`, `- ` or `: ` starts a comment although a channel
 * name was meant (`channels: [#ops]`): YAML then reports something puzzling, or reads nothing.
 */
function commentHints(text: string): string[] {
  const hints: string[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /(?:^\s*-\s+|[[{,]\s*|:\s+)(#[^\s,\]}'"]+)/.exec(line);
    if (match && !/^\s*#/.test(line)) {
      hints.push(`line ${index + 1}: # starts a comment in YAML, so ${match[1]} is not read as a channel name: quote it ('${match[1]}')`);
    }
  });
  return hints;
}

function issueMessages(issue: z.core.$ZodIssue, data: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = /\(allowed: (.*)\)$/.exec(issue.message)?.[1].split(', ') ?? [];
    return issue.keys.map((key) => {
      const guess = closestKey(key, allowed);
      const message = guess === undefined ? issue.message : issue.message.replace('unknown key', `unknown key, did you mean ${guess}?`);
      return `${pathLabel([...issue.path, key])}: ${message}`;
    });
  }
  // YAML has no undefined, so an issue about an undefined value is about an absent key.
  if (valueAt(data, issue.path) === undefined) {
    return [`${pathLabel(issue.path.slice(0, -1))}: missing required key "${String(issue.path.at(-1))}"`];
  }
  return [`${pathLabel(issue.path)}: ${issue.message}`];
}

/**
 * The schema, built per parse because its leaves expand ${ENV}, read files and collect secrets.
 * `commands`: the commands the access section may name (passed in: the config does not depend on them).
 */
function configSchema(context: SchemaContext, commands: CommandList) {
  const helpers = schemaHelpers(context);
  const { section, optionalSection, choice, text } = helpers;

  // One entry per backend, from the registry: a backend's section is in its folder.
  const chatBackends = Object.fromEntries(BACKENDS.map((backend) => [backend.name, backend.schema(helpers).optional()]));
  const chat = z
    .preprocess((value) => (value === undefined ? { console: {} } : (value ?? {})), section(chatBackends))
    .refine((backends) => Object.values(backends).some((backend) => backend !== undefined), {
      error: `expected at least one backend (${Object.keys(chatBackends).join(', ')}) but found none`,
    })
    .transform((backends) => backends as ChatConfig);

  const format = optionalSection({
    width: z.int({ error: expecting('a whole number from 40 to 4000') }).min(40).max(4000).default(400),
    soft_states: z.boolean({ error: expecting('true or false') }).default(false),
  }).transform(({ width, soft_states }): FormatConfig => ({ width, softStates: soft_states }));

  const log = optionalSection({ level: choice(LOG_LEVELS).default('info'), deliveries: z.boolean({ error: expecting('true or false') }).default(false) });

  const { aDestination } = CHAT_NAMING;
  const destination = text(aDestination).pipe(z.string().regex(CHAT_NAMING.destination, { error: expecting(aDestination) }));

  const schema = section({
    icinga: icingaSection(helpers),
    format,
    chat,
    log,
    commands: commandsSection(helpers),
    access: accessSection(helpers, commands, CHAT_NAMING),
    routes: routesSection(helpers, destination, aDestination),
    templates: templatesSection(helpers),
    noise: noiseSection(helpers),
    http: httpSection(helpers),
    state: stateSection(helpers),
    silence: silenceSection(helpers, destination),
    shutdown: shutdownSection(helpers),
    web: webSection(helpers),
  }).superRefine((config, ctx) => {
    const configured = chatDestinations(config.chat);
    for (const issue of destinationIssues(configured, config)) ctx.addIssue({ code: 'custom', ...issue });
    // A room rule for a destination no backend serves would never narrow anything: the room it was meant for stays open.
    for (const name of Object.keys(config.access?.rooms ?? {})) {
      if (configured.includes(name)) continue;
      const closest = closestMatch(name, configured);
      ctx.addIssue({
        code: 'custom',
        path: ['access', 'rooms', name],
        message: `expected a destination the chat section configures (${configured.join(', ')}) but found ${JSON.stringify(name)}${closest === undefined ? '' : ` (did you mean ${closest}?)`}`,
      });
    }
  }).transform((config) => {
    // Who may act is who may enter: a members-only room admits the XMPP identities access.users names.
    if (config.chat.xmpp) config.chat.xmpp.members = Object.keys(config.access?.users ?? {}).filter((identity) => identity.startsWith('xmpp:')).map((identity) => identity.slice('xmpp:'.length));
    return config;
  });
  return { schema, chat };
}

/**
 * Routes and silence.notify naming a destination the chat section does not configure: the relay
 * sends only where a backend is, so such a route would lose alerts without a word. Checked on the
 * parsed config, and on the raw one when other keys are wrong too, so that these come with the
 * first report instead of after every other problem is fixed.
 */
function destinationIssues(configured: readonly string[], config: { routes?: unknown; silence?: unknown }): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const check = (name: unknown, path: (string | number)[]) => {
    // A name of the wrong form has its own error already.
    if (typeof name === 'string' && CHAT_NAMING.destination.test(name) && !configured.includes(name)) {
      issues.push({ path, message: `expected a destination the chat section configures (${configured.join(', ')}) but found ${JSON.stringify(name)}` });
    }
  };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  if (Array.isArray(config.routes)) {
    config.routes.forEach((route: unknown, index) => {
      const to = (route as { to?: unknown } | null)?.to;
      if (to !== undefined) list(to).forEach((name, position) => check(name, Array.isArray(to) ? ['routes', index, 'to', position] : ['routes', index, 'to']));
    });
  }
  const notify = (config.silence as { notify?: unknown } | null | undefined)?.notify;
  if (Array.isArray(notify)) notify.forEach((name, position) => check(name, ['silence', 'notify', position]));
  return issues;
}

/** The schema for its shape alone (json-schema.ts makes the JSON Schema of it): no environment, no files. */
export function bareConfigSchema() {
  return configSchema({ env: {}, baseDir: '/', secrets: [], inlineSecretKeys: new Set() }, COMMANDS).schema;
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
    throw new ConfigError([...errors, ...commentHints(text)], source.path);
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
  const { schema, chat } = configSchema(context, source.commands ?? COMMANDS);
  const result = schema.safeParse(data);
  if (!result.success) {
    const messages = result.error.issues.flatMap((issue) => issueMessages(issue, data));
    // The cross-references could not be checked on a config that did not parse: checked on the raw one, if its chat section is fine.
    const chatAlone = chat.safeParse(isMapping(data) ? data.chat : undefined);
    if (chatAlone.success && isMapping(data)) {
      for (const issue of destinationIssues(chatDestinations(chatAlone.data), data)) {
        const message = `${pathLabel(issue.path)}: ${issue.message}`;
        if (!messages.includes(message)) messages.push(message);
      }
    }
    throw new ConfigError([...messages, ...commentHints(text)], source.path);
  }

  const warnings = routeWarnings(result.data);
  const inlineSecretKeys = [...context.inlineSecretKeys];
  // Group-readable is how the service reads it (root:icinga-relay 0640); readable by everyone is a leak.
  if (source.mode !== undefined && (source.mode & 0o004) !== 0 && inlineSecretKeys.length > 0) {
    const mode = (source.mode & 0o777).toString(8).padStart(4, '0');
    warnings.push(
      `config file ${source.path} is readable by others (mode ${mode}) and holds ` +
        `${inlineSecretKeys.map((key) => `a ${key}`).join(' and ')}: make it owner root, group ${SERVICE_USER}, mode 0640, or use ` +
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
