import type { SchemaHelpers } from '../../config/schema.js';

export type ConsoleTimestamps = 'auto' | 'always' | 'never';

export interface ConsoleConfig {
  timestamps: ConsoleTimestamps;
}

export const consoleSchema = ({ switchedSection, choice }: SchemaHelpers) => switchedSection({ timestamps: choice(['auto', 'always', 'never']).default('auto') });
