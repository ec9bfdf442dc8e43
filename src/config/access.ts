/** The access section: who may run which command (the rules on top are in src/commands/access.ts). */

import { z } from 'zod';
import { expecting, isMapping, type SchemaHelpers } from './schema.js';

/**
 * Who may run a command by default. `viewer`: it only reads (may be granted to everyone);
 * `operator`: it changes Icinga2 (never for unidentified senders or bots); `anyone`: it tells
 * the asker about the relay itself and is always allowed (help, whoami).
 */
export type CommandRole = 'anyone' | 'viewer' | 'operator';

/** What the access section needs to know of the commands: passed in, so config does not depend on them. */
export interface CommandList {
  all(): readonly { name: string; role: CommandRole }[];
  find(word: string): { name: string; role: CommandRole } | undefined;
}

/** How identities and destinations look, from the chat backends (src/chat/registry.ts). */
export interface ChatNaming {
  identity: RegExp;
  /** "an identity such as irc:alice, ... or console". */
  anIdentity: string;
  destination: RegExp;
  aDestination: string;
}

/** Who may run which command; see src/commands/access.ts for the rules on top. */
export interface AccessConfig {
  /** Role → command names: the built-in viewer and operator roles, replaced or joined by the file's. */
  roles: Record<string, string[]>;
  /** Identity (`irc:alice`, `xmpp:bob@example.org`, `slack:U0123ABC`, `console`) → roles. */
  users: Record<string, string[]>;
  /** Roles of every sender, identified or not: read-only ones only. */
  everyone: string[];
  /** Destination → the only roles that apply there. */
  rooms: Record<string, string[]>;
  /** Identity → the Icinga2 author name of that person's actions. */
  authors: Record<string, string>;
}

/** The roles every config starts with: `viewer` may read, `operator` may run every command. */
export function builtInRoles(registry: CommandList): Record<string, string[]> {
  const commands = registry.all().filter((command) => command.role !== 'anyone');
  return {
    viewer: commands.filter((command) => command.role === 'viewer').map((command) => command.name),
    operator: commands.map((command) => command.name),
  };
}

/** Access when the config has no access section: only the local console may act. */
export function defaultAccess(registry: CommandList): AccessConfig {
  return { roles: builtInRoles(registry), users: { console: ['operator'] }, everyone: [], rooms: {}, authors: {} };
}

const ROLE_NAME = /^[A-Za-z][\w-]*$/;

export function accessSection({ text, choice, switchedSection, keyedMapping }: SchemaHelpers, commands: CommandList, naming: ChatNaming) {
  const identityKey = { form: naming.identity, what: naming.anIdentity };
  const roleList = z.array(text('a role name'), { error: expecting('a list of roles') });
  const commandNames = commands.all().map((command) => command.name);

  const access = switchedSection({
    roles: keyedMapping(z.array(choice(commandNames), { error: expecting('a list of commands') }), 'a mapping of roles to lists of commands', {
      form: ROLE_NAME,
      what: 'a role name (letters, digits, - and _)',
    }).default({}),
    users: keyedMapping(roleList, 'a mapping of identities to lists of roles', identityKey).default(defaultAccess(commands).users),
    everyone: roleList.default([]),
    rooms: keyedMapping(roleList, 'a mapping of destinations to lists of roles', { form: naming.destination, what: naming.aDestination }).default({}),
    authors: keyedMapping(text('an author name'), 'a mapping of identities to author names', identityKey).default({}),
  })
    .superRefine(
      (keys, ctx) => {
        // Runs while other access keys may be wrong (see below): only well-formed lists are looked at.
        const lists = (value: unknown) => (isMapping(value) ? Object.entries(value).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1])) : []);
        const roles = new Map<string, unknown[]>([...Object.entries(builtInRoles(commands)), ...lists(keys.roles)]);
        const check = (role: unknown, path: PropertyKey[]) => {
          if (typeof role !== 'string') return;
          const granted = roles.get(role);
          if (granted === undefined) {
            ctx.addIssue({ code: 'custom', path, message: `expected one of the roles ${[...roles.keys()].join(', ')} but found ${JSON.stringify(role)}` });
            return;
          }
          if (path[0] !== 'everyone') return;
          // Everyone includes senders nobody vouches for: what they may do must not change Icinga2.
          const writes = granted.filter((name) => typeof name === 'string' && commands.find(name)?.role === 'operator');
          if (writes.length > 0) {
            ctx.addIssue({ code: 'custom', path, message: `expected read-only roles for everyone but role "${role}" grants ${writes.join(', ')}` });
          }
        };
        for (const [identity, list] of lists(keys.users)) list.forEach((role, index) => check(role, ['users', identity, index]));
        for (const [destination, list] of lists(keys.rooms)) list.forEach((role, index) => check(role, ['rooms', destination, index]));
        if (Array.isArray(keys.everyone)) keys.everyone.forEach((role, index) => check(role, ['everyone', index]));
      },
      // Also when other access keys are wrong, so all problems show at once.
      { when: (payload) => isMapping(payload.value) },
    )
    .transform((keys): AccessConfig => ({ ...keys, roles: { ...builtInRoles(commands), ...keys.roles } }))
    .optional();
  return access;
}
