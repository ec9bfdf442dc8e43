/**
 * What a test of chat commands needs (the in-memory chat backend is test/helpers/fake-backend.ts):
 * a relay config for the harness Icinga2, messages as a backend would deliver them, and a snapshot of everything a command could
 * change in Icinga2 (to prove that a refused or malicious command changed nothing), and a running
 * relay with the backends its config names, for tests through real chat servers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { IncomingMessage } from '../../src/chat/backend.js';
import { AccessControl, builtInRoles } from '../../src/commands/access.js';
import { AuditLog } from '../../src/commands/audit.js';
import { Dispatcher, type DispatcherOptions } from '../../src/commands/dispatcher.js';
import { COMMANDS, type CommandRegistry } from '../../src/commands/index.js';
import { DEFAULT_COMMANDS, parseConfig, type CommandsConfig, type RelayConfig } from '../../src/config/index.js';
import type { ActionOutcome, IcingaActions } from '../../src/icinga/actions.js';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { MuteList } from '../../src/noise/mutes.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Icinga2Instance, PasswordUser } from '../harness/icinga2.js';
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN } from '../harness/slack-fake.js';

/** A message in `irc:#ops` from `identity` (undefined: a sender the backend cannot vouch for). */
export function chat(text: string, identity: string | undefined, options: { displayName?: string; destination?: string; direct?: boolean } = {}): IncomingMessage {
  const displayName = options.displayName ?? identity?.replace(/^\w+:/, '') ?? 'mallory';
  return { destination: options.destination ?? 'irc:#ops', text, direct: options.direct ?? false, sender: { identity, displayName } };
}

/** A relay config for the harness Icinga2, as `user` (the relay user by default), plus extra top-level YAML. */
export function relayConfig(icinga: Icinga2Instance, extraYaml = '', user: PasswordUser = icinga.users.relay): RelayConfig {
  const yaml = [
    'icinga:',
    `  url: ${icinga.url}`,
    `  ca_file: ${icinga.caFile}`,
    `  username: ${user.username}`,
    '  password: ${PASSWORD}',
    '  reconnect: { min: 1s, max: 2s }',
    extraYaml,
  ].join('\n');
  return parseConfig(yaml, { env: { PASSWORD: user.password } }).config;
}

/** The `chat:` section for a relay in the harness InspIRCd's #ops as `nick`: no TLS, no colours, no throttle to speak of. */
export function ircChat(port: number, nick: string): string {
  return `chat:
  irc:
    server: 127.0.0.1
    port: ${port}
    tls: false
    nick: ${nick}
    channels: ['#ops']
    colours: false
    rate: { burst: 100, per_second: 100 }
`;
}

/** The `chat:` section for a relay in the Slack fake's #ops (its tokens, its API URL). */
export function slackChat(apiUrl: string): string {
  return `chat:
  slack:
    bot_token: ${FAKE_BOT_TOKEN}
    app_token: ${FAKE_APP_TOKEN}
    channels: ['#ops']
    api_url: ${apiUrl}
`;
}

/**
 * A config file for the built relay (`dist/src/cli.js`) in the harness Icinga2's directory: the
 * relay user, its password in a file, and `lines` (more YAML) after `icinga.password_file`.
 */
export function relayConfigFile(icinga: Icinga2Instance, icingaLines: string[], moreLines: string[]): string {
  const passwordFile = join(icinga.dir, 'relay-password');
  writeFileSync(passwordFile, icinga.users.relay.password + '\n', { mode: 0o600 });
  const configFile = join(icinga.dir, 'relay.yml');
  const lines = ['icinga:', `  url: ${icinga.url}`, `  username: ${icinga.users.relay.username}`, `  password_file: ${passwordFile}`, ...icingaLines, ...moreLines, ''];
  writeFileSync(configFile, lines.join('\n'), { mode: 0o600 });
  return configFile;
}

// Icinga2 2.13 delivers events in ~5 s ticks.
export const EVENT_WAIT_MS = 20_000;
/** Replies come from the relay over loopback; only Icinga2's events are slow. */
export const REPLY_WAIT_MS = 10_000;

/**
 * A started relay with the chat backends its config names, stopped when the test ends. Resolves
 * once its event stream is connected: Icinga2 has no replay, so the events of anything changed
 * before then would never come.
 */
export async function startedRelay(t: Test, config: RelayConfig) {
  const logger = memoryLogger();
  const relay = await Relay.create(config, { logger });
  let connected = false;
  relay.stream.on('status', (status) => {
    if (status.state === 'connected') connected = true;
  });
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => connected, EVENT_WAIT_MS, () => `the event stream; the log:\n${logger.lines.join('\n')}`);
  return { relay, logger };
}

/** Polls `probe` until it gives a value; rejects after timeoutMs saying what it waited for (`what`, read then). */
export async function waitUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string | (() => string)): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The objects of a collection with these attributes, by name; `query` narrows them (filter, filter_vars). */
async function objects(icinga: Icinga2Instance, collection: string, attrs: string[], query: Record<string, unknown> = {}): Promise<unknown[]> {
  const answer = await icinga.api('GET', `/v1/objects/${collection}`, { ...query, attrs });
  if (answer.status !== 200) throw new Error(`listing ${collection}: HTTP ${answer.status}`);
  const results = (answer.json as { results: { name: string; attrs: unknown }[] }).results;
  return results.map(({ name, attrs: values }) => ({ name, ...(values as object) })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Does `act`, then waits for a line matching each pattern among those `lines()` gains from then on,
 * and resolves with them, in the patterns' order. Other lines may come in between: Icinga2's events
 * (a CommentAdded can overtake the reply to the ack that caused it).
 */
export async function linesAfter(lines: () => readonly string[], act: () => unknown, patterns: RegExp[], timeoutMs = REPLY_WAIT_MS): Promise<string[]> {
  const from = lines().length;
  await act();
  return waitUntil(
    () => {
      const found = patterns.map((pattern) => lines().slice(from).find((line) => pattern.test(line)));
      return found.every((line) => line !== undefined) ? (found as string[]) : undefined;
    },
    timeoutMs,
    () => `lines matching ${patterns.join(', ')}; since then: ${JSON.stringify(lines().slice(from))}`,
  );
}

/** Acknowledgements, downtime depths and check times of every host and service, and every comment and downtime. */
export async function icingaSnapshot(icinga: Icinga2Instance): Promise<unknown> {
  const checkable = ['acknowledgement', 'acknowledgement_expiry', 'downtime_depth', 'next_check', 'last_check'];
  return {
    hosts: await objects(icinga, 'hosts', checkable),
    services: await objects(icinga, 'services', checkable),
    comments: await objects(icinga, 'comments', ['author', 'text']),
    downtimes: await objects(icinga, 'downtimes', ['author', 'comment']),
  };
}

/** A service's acknowledgement (0 none, 1 normal, 2 sticky) and the author and text of its acknowledgement comments. */
export async function acknowledgementOf(icinga: Icinga2Instance, service: string) {
  const [host, name] = service.split('!');
  const [state] = (await objects(icinga, 'services', ['acknowledgement'], { service })) as { acknowledgement: number }[];
  const comments = (await objects(icinga, 'comments', ['author', 'text'], {
    filter: 'comment.host_name == h && comment.service_name == s && comment.entry_type == 4',
    filter_vars: { h: host, s: name },
  })) as { author: string; text: string }[];
  return { acknowledgement: state.acknowledgement, comments: comments.map(({ author, text }) => ({ author, text })) };
}

/** IcingaActions that record their calls and answer what the test says (ok by default). */
export function fakeActions(answers: Record<string, ActionOutcome<unknown>> = {}) {
  const calls: unknown[][] = [];
  const actions = new Proxy(
    {},
    {
      get: (_target, name: string) =>
        async (...args: unknown[]) => {
          calls.push([name, ...args]);
          return answers[name] ?? { ok: true, value: undefined };
        },
    },
  ) as IcingaActions;
  return { actions, calls };
}

export interface FakeSetup {
  settings?: Partial<CommandsConfig>;
  answers?: Record<string, ActionOutcome<unknown>>;
  registry?: CommandRegistry;
  auditFile?: string;
  width?: number;
  /** Real actions (against a fake Icinga2) instead of the recording fakes. */
  actions?: IcingaActions;
  onOutcome?: DispatcherOptions['onOutcome'];
  onThrottled?: DispatcherOptions['onThrottled'];
  references?: DispatcherOptions['references'];
  web?: DispatcherOptions['web'];
  onAction?: DispatcherOptions['onAction'];
}

// Tests of other things than the rate limit send more commands than a person would.
const UNLIMITED = { burst: 1000, perSecond: 1000 };

/** A dispatcher over fake actions: alice is an operator, bob a viewer, everyone a viewer, nobody anything in irc:#closed; no rate limit unless set. */
export function dispatcherWithFakes(options: FakeSetup = {}) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const fakes = fakeActions(options.answers);
  const { calls } = fakes;
  const actions = options.actions ?? fakes.actions;
  const registry = options.registry ?? COMMANDS;
  const access = new AccessControl(
    { roles: builtInRoles(COMMANDS), users: { 'irc:alice': ['operator'], 'irc:bob': ['viewer'] }, everyone: ['viewer'], rooms: { 'irc:#closed': [] }, authors: {} },
    registry,
  );
  const audit = new AuditLog({ file: options.auditFile, logger, clock });
  const mutes = new MuteList({ clock, logger }, 3_600_000);
  const dispatcher = new Dispatcher({ actions, access, registry, settings: { ...DEFAULT_COMMANDS, rate: UNLIMITED, ...options.settings }, audit, logger, clock, width: options.width ?? 400, mutes, onOutcome: options.onOutcome, onThrottled: options.onThrottled, references: options.references, web: options.web, onAction: options.onAction });
  const source = { backend: 'irc', names: ['icinga-relay'] };
  const send = async (message: IncomingMessage) => dispatcher.dispatch(message, source);
  const say = async (message: IncomingMessage) => (await send(message)).map((reply) => reply.text);
  return { clock, logger, calls, audit, dispatcher, mutes, send, say };
}
