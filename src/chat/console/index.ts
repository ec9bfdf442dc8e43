/** The local console: stdout for alerts, stdin for commands (src/chat/console/backend.ts). */
import type { BackendDescriptor } from '../descriptor.js';
import { consoleSchema, type ConsoleConfig } from './config.js';

export const consoleBackend: BackendDescriptor<'console', ConsoleConfig> = {
  name: 'console',
  schema: consoleSchema,
  destinations: () => ['console'],
  addressNames: () => [],
  destination: { pattern: /console/, example: 'console' },
  identity: { pattern: /console/, example: 'console' },
  create: async (config) => new (await import('./backend.js')).ConsoleBackend({ timestamps: config.timestamps }),
};
