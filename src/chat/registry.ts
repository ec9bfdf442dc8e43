/**
 * Every chat backend, by its config key. Adding a backend: one file in src/chat/, one line here,
 * one schema entry in src/config.ts.
 *
 * A backend's module, and the libraries it brings (irc-framework, @xmpp/*, @slack/*), is loaded
 * only when the config names the backend: loaded, each costs memory for as long as the relay runs.
 */
import type { ChatConfig } from '../config.js';
import type { BackendDependencies, ChatBackend } from './backend.js';

type BackendFactory<Config> = (config: Config, dependencies: BackendDependencies) => Promise<ChatBackend>;

type BackendFactories = { [Name in keyof ChatConfig]-?: BackendFactory<NonNullable<ChatConfig[Name]>> };

const BACKENDS: BackendFactories = {
  console: async (config) => new (await import('./console.js')).ConsoleBackend({ timestamps: config.timestamps }),
  irc: async (config, dependencies) => new (await import('./irc.js')).IrcBackend(config, dependencies),
  xmpp: async (config, dependencies) => new (await import('./xmpp.js')).XmppBackend(config, dependencies),
  slack: async (config, dependencies) => new (await import('./slack.js')).SlackBackend(config, dependencies),
};

/** The backends the config names, in its order. */
export async function createBackends(chat: ChatConfig, dependencies: BackendDependencies): Promise<ChatBackend[]> {
  const backends: ChatBackend[] = [];
  for (const [name, config] of Object.entries(chat) as [keyof ChatConfig, ChatConfig[keyof ChatConfig]][]) {
    if (config) backends.push(await (BACKENDS[name] as BackendFactory<typeof config>)(config, dependencies));
  }
  return backends;
}
