/**
 * What the relay knows of a chat backend before loading it: its name, its config section, how its
 * destinations and identities are spelled, and how to make it. One per folder in src/chat/, listed
 * in src/chat/registry.ts. A descriptor module must not import its backend's libraries: `create`
 * loads them, only when the config names the backend (loaded, each costs memory for as long as the
 * relay runs).
 */
import type { z } from 'zod';
import type { SchemaHelpers } from '../config/schema.js';
import type { BackendDependencies, ChatBackend } from './backend.js';

export interface BackendDescriptor<Name extends string, Config> {
  /** The config key under chat:, and the part of a destination or identity before the colon. */
  readonly name: Name;
  /** The config section under chat.<name> (the chat section makes it optional). */
  schema(helpers: SchemaHelpers): z.ZodType<Config>;
  /** The destinations (`name:target`) this config serves: what routes name and the backend sends to. */
  destinations(config: Config): string[];
  /** The relay's own names in its rooms as configured, for `name: command`; the backend may know better (addressNames). */
  addressNames(config: Config): string[];
  /** Any destination of this backend (matched whole), with an example for messages. */
  destination: { pattern: RegExp; example: string };
  /** The identities this backend vouches for (matched whole), with an example for messages. */
  identity: { pattern: RegExp; example: string };
  create(config: Config, dependencies: BackendDependencies): Promise<ChatBackend>;
}
