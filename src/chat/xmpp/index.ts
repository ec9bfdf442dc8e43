/** XMPP multi-user chat (src/chat/xmpp/backend.ts, on @xmpp/*). */
import type { BackendDescriptor } from '../descriptor.js';
import { xmppDestinations, xmppSchema, type XmppConfig } from './config.js';

export const xmppBackend: BackendDescriptor<'xmpp', XmppConfig> = {
  name: 'xmpp',
  schema: xmppSchema,
  destinations: xmppDestinations,
  addressNames: (config) => [config.nick],
  destination: { pattern: /xmpp:\S+/, example: 'xmpp:ops@conference.example.org' },
  // A bare JID.
  identity: { pattern: /xmpp:[^@/\s]+@[^@/\s]+/, example: 'xmpp:alice@example.org' },
  create: async (config, dependencies) => new (await import('./backend.js')).XmppBackend(config, dependencies),
};
