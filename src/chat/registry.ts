/**
 * Every chat backend, by its config key. Adding a backend: one file in src/chat/, one line here,
 * one schema entry in src/config.ts.
 */
import type { ChatConfig } from '../config.js';
import type { BackendDependencies, ChatBackend } from './backend.js';
import { ConsoleBackend } from './console.js';

type BackendFactories = {
  [Name in keyof ChatConfig]-?: (config: NonNullable<ChatConfig[Name]>, dependencies: BackendDependencies) => ChatBackend;
};

const BACKENDS: BackendFactories = {
  console: (config) => new ConsoleBackend({ timestamps: config.timestamps }),
};

export function createBackends(chat: ChatConfig, dependencies: BackendDependencies): ChatBackend[] {
  const backends: ChatBackend[] = [];
  for (const name of Object.keys(BACKENDS) as (keyof ChatConfig)[]) {
    const config = chat[name];
    if (config) backends.push(BACKENDS[name](config, dependencies));
  }
  return backends;
}
