/**
 * What a test of chat commands needs: an in-memory chat backend, a relay config for the harness
 * Icinga2, messages as a backend would deliver them, and a snapshot of everything a command could
 * change in Icinga2 (to prove that a refused or malicious command changed nothing).
 */
import type { ChatBackend, IncomingMessage } from '../../src/chat/backend.js';
import { AccessControl, builtInRoles } from '../../src/commands/access.js';
import { AuditLog } from '../../src/commands/audit.js';
import { Dispatcher, type CommandMessage } from '../../src/commands/dispatcher.js';
import { COMMANDS, type CommandRegistry } from '../../src/commands/index.js';
import { DEFAULT_COMMANDS, parseConfig, type CommandsConfig, type RelayConfig } from '../../src/config.js';
import type { ActionOutcome, IcingaActions } from '../../src/icinga/actions.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Icinga2Instance, PasswordUser } from '../harness/icinga2.js';

/** A chat backend that keeps what it is sent and lets a test write as if someone typed in chat. */
export class FakeChatBackend implements ChatBackend {
  readonly sent: { destination: string; message: RelayMessage }[] = [];
  private readonly handlers: ((message: IncomingMessage) => void)[] = [];

  constructor(
    readonly name = 'irc',
    readonly destinations: string[] = ['irc:#ops'],
  ) {}

  async connect(): Promise<void> {}

  async send(destination: string, message: RelayMessage): Promise<void> {
    this.sent.push({ destination, message });
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handlers.push(handler);
  }

  /** Delivers a message the way the backend's chat library would. */
  write(message: IncomingMessage): void {
    for (const handler of this.handlers) handler(message);
  }

  /** The texts sent since `from` (an index into `sent`). */
  texts(from = 0): string[] {
    return this.sent.slice(from).map((sent) => sent.message.text);
  }

  async close(): Promise<void> {}
}

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

export async function waitUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function objects(icinga: Icinga2Instance, collection: string, attrs: string[]): Promise<unknown[]> {
  const answer = await icinga.api('GET', `/v1/objects/${collection}`, { attrs });
  if (answer.status !== 200) throw new Error(`listing ${collection}: HTTP ${answer.status}`);
  const results = (answer.json as { results: { name: string; attrs: unknown }[] }).results;
  return results.map(({ name, attrs: values }) => ({ name, ...(values as object) })).sort((a, b) => (a.name < b.name ? -1 : 1));
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
}

// Tests of other things than the rate limit send more commands than a person would.
const UNLIMITED = { burst: 1000, perSecond: 1000 };

/** A dispatcher over fake actions: alice is an operator, bob a viewer, everyone a viewer, nobody anything in irc:#closed; no rate limit unless set. */
export function dispatcherWithFakes(options: FakeSetup = {}) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const { actions, calls } = fakeActions(options.answers);
  const registry = options.registry ?? COMMANDS;
  const access = new AccessControl(
    { roles: builtInRoles(COMMANDS), users: { 'irc:alice': ['operator'], 'irc:bob': ['viewer'] }, everyone: ['viewer'], rooms: { 'irc:#closed': [] }, authors: {} },
    registry,
  );
  const audit = new AuditLog({ file: options.auditFile, logger, clock });
  const dispatcher = new Dispatcher({ actions, access, registry, settings: { ...DEFAULT_COMMANDS, rate: UNLIMITED, ...options.settings }, audit, logger, clock, width: options.width ?? 400 });
  const source = { backend: 'irc', names: ['icinga-relay'] };
  const send = async (message: CommandMessage) => dispatcher.dispatch(message, source);
  const say = async (message: CommandMessage) => (await send(message)).map((reply) => reply.text);
  return { clock, logger, calls, audit, dispatcher, send, say };
}
