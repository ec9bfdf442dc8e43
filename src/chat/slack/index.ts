/** Slack (src/chat/slack/backend.ts, on @slack/socket-mode and the Web API). */
import type { BackendDescriptor } from '../descriptor.js';
import { slackDestinations, slackSchema, type SlackConfig } from './config.js';

export const slackBackend: BackendDescriptor<'slack', SlackConfig> = {
  name: 'slack',
  schema: slackSchema,
  destinations: slackDestinations,
  // The backend knows its mention (<@U...>) once connected.
  addressNames: () => [],
  destination: { pattern: /slack:\S+/, example: 'slack:#ops' },
  // A user ID.
  identity: { pattern: /slack:[UW][A-Z0-9]+/, example: 'slack:U0123ABC' },
  create: async (config, dependencies) => new (await import('./backend.js')).SlackBackend(config, dependencies),
};
