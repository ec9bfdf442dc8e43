/**
 * Every chat backend, by its config key, in the order the chat section lists them. Adding a
 * backend: one folder in src/chat/ whose index.ts exports its descriptor, one line in BACKENDS.
 */
import type { BackendDependencies, ChatBackend } from './backend.js';
import type { BackendDescriptor } from './descriptor.js';
import { consoleBackend } from './console/index.js';
import { ircBackend } from './irc/index.js';
import { slackBackend } from './slack/index.js';
import { xmppBackend } from './xmpp/index.js';

export const BACKENDS = [consoleBackend, ircBackend, xmppBackend, slackBackend] as const;

type Backend = (typeof BACKENDS)[number];
type ConfigOf<D> = D extends BackendDescriptor<string, infer Config> ? Config : never;

/** One optional entry per chat backend; at least one is present. */
export type ChatConfig = { [D in Backend as D['name']]?: ConfigOf<D> };

// Each descriptor with its own config type, as the loops below use them.
const descriptors = BACKENDS as readonly BackendDescriptor<string, unknown>[];
const byName = new Map(descriptors.map((descriptor) => [descriptor.name, descriptor]));

/** "a, b, c or d". */
function orList(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Examples with a backend: prefix first: they show the form; the bare ones (console) read best last. */
function examples(pick: (descriptor: BackendDescriptor<string, unknown>) => string): string {
  const all = descriptors.map(pick);
  return orList([...all.filter((example) => example.includes(':')), ...all.filter((example) => !example.includes(':'))]);
}

const whole = (pick: (descriptor: BackendDescriptor<string, unknown>) => RegExp) =>
  new RegExp(`^(${descriptors.map((descriptor) => pick(descriptor).source).join('|')})$`);

/** How identities and destinations are spelled, for the config (access, routes, silence). */
export const CHAT_NAMING = {
  /** Identities as the chat backends vouch for them. */
  identity: whole((descriptor) => descriptor.identity.pattern),
  anIdentity: `an identity such as ${examples((descriptor) => descriptor.identity.example)}`,
  destination: whole((descriptor) => descriptor.destination.pattern),
  aDestination: `a destination such as ${examples((descriptor) => descriptor.destination.example)}`,
};

/** The configured backends with their sections, in the config's order. */
function configured(chat: ChatConfig): [BackendDescriptor<string, unknown>, unknown][] {
  return Object.entries(chat).flatMap(([name, config]) => {
    const descriptor = byName.get(name);
    return descriptor && config !== undefined ? [[descriptor, config] as [BackendDescriptor<string, unknown>, unknown]] : [];
  });
}

/** Where the configured backends can send: the same names the backends serve, in registry order. */
export function chatDestinations(chat: ChatConfig): string[] {
  const sections = chat as Record<string, unknown>;
  return descriptors.flatMap((descriptor) => (sections[descriptor.name] === undefined ? [] : descriptor.destinations(sections[descriptor.name])));
}

/** The relay's names in a backend's rooms as configured: for a backend that does not say what it is now. */
export function configuredAddressNames(chat: ChatConfig, backend: string): string[] {
  const config = (chat as Record<string, unknown>)[backend];
  const descriptor = byName.get(backend);
  return descriptor && config !== undefined ? descriptor.addressNames(config) : [];
}

/** The backends the config names, in its order. */
export async function createBackends(chat: ChatConfig, dependencies: BackendDependencies): Promise<ChatBackend[]> {
  const backends: ChatBackend[] = [];
  for (const [descriptor, config] of configured(chat)) backends.push(await descriptor.create(config, dependencies));
  return backends;
}
