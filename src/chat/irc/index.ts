/** IRC (src/chat/irc/backend.ts, on irc-framework). */
import type { BackendDescriptor } from '../descriptor.js';
import { ircDestinations, ircSchema, type IrcConfig } from './config.js';

export const ircBackend: BackendDescriptor<'irc', IrcConfig> = {
  name: 'irc',
  schema: ircSchema,
  destinations: ircDestinations,
  addressNames: (config) => [config.nick],
  destination: { pattern: /irc:\S+/, example: 'irc:#ops' },
  // A services account: never a channel name.
  identity: { pattern: /irc:[^\s:#&][^\s:]*/, example: 'irc:alice' },
  create: async (config, dependencies) => new (await import('./backend.js')).IrcBackend(config, dependencies),
};
