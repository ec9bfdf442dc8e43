/**
 * Every chat backend, by its config key. Adding a backend: one file in src/chat/, one line here,
 * one schema entry in src/config.ts.
 */
import type { ChatConfig } from '../config.js';
import type { BackendDependencies, ChatBackend } from './backend.js';
import { ConsoleBackend } from './console.js';
import { IrcBackend } from './irc.js';
import { SlackBackend } from './slack.js';
import { XmppBackend } from './xmpp.js';

type BackendFactory<Config> = (config: Config, dependencies: BackendDependencies) => ChatBackend;

type BackendFactories = { [Name in keyof ChatConfig]-?: BackendFactory<NonNullable<ChatConfig[Name]>> };

const BACKENDS: BackendFactories = {
  console: (config) => new ConsoleBackend({ timestamps: config.timestamps }),
  irc: (config, dependencies) => new IrcBackend(config, dependencies),
  xmpp: (config, dependencies) => new XmppBackend(config, dependencies),
  slack: (config, dependencies) => new SlackBackend(config, dependencies),
};

export function createBackends(chat: ChatConfig, dependencies: BackendDependencies): ChatBackend[] {
  const backends: ChatBackend[] = [];
  for (const [name, config] of Object.entries(chat) as [keyof ChatConfig, ChatConfig[keyof ChatConfig]][]) {
    if (config) backends.push((BACKENDS[name] as BackendFactory<typeof config>)(config, dependencies));
  }
  return backends;
}
