/**
 * Who may run which command, in one place for every command. Roles name commands; identities
 * and everyone get roles; a room may narrow the roles that apply in it. On top of the config,
 * two rules nobody can configure away: a sender the backend cannot vouch for (no identity) and
 * any bot never run a command that changes Icinga2.
 */
import { oneLine } from '../util/values.js';
import type { AccessConfig } from '../config/access.js';
import type { AccessDecision, Command, CommandAccess, CommandSender } from './types.js';
import type { CommandRegistry } from './registry.js';

export { builtInRoles, defaultAccess } from '../config/access.js';
export type { AccessDecision, CommandSender } from './types.js';

// Maps, not the config's plain objects: identities and destinations come from chat, and a key
// such as "constructor" must not find Object.prototype.
const toMap = <T>(record: Record<string, T>) => new Map(Object.entries(record));

export class AccessControl implements CommandAccess {
  private readonly roles: Map<string, string[]>;
  private readonly users: Map<string, string[]>;
  private readonly rooms: Map<string, string[]>;
  private readonly authors: Map<string, string>;
  private readonly everyone: readonly string[];

  constructor(
    config: AccessConfig,
    private readonly registry: CommandRegistry,
  ) {
    this.roles = toMap(config.roles);
    this.users = toMap(config.users);
    this.rooms = toMap(config.rooms);
    this.authors = toMap(config.authors);
    this.everyone = config.everyone;
  }

  /** The roles that apply to this sender in this destination. */
  rolesOf(sender: CommandSender, destination: string): string[] {
    const own = sender.identity === undefined ? [] : (this.users.get(sender.identity) ?? []);
    const roles = [...new Set([...own, ...this.everyone])];
    const roomRoles = this.rooms.get(destination);
    return roomRoles === undefined ? roles : roles.filter((role) => roomRoles.includes(role));
  }

  check(command: Command, sender: CommandSender, destination: string): AccessDecision {
    if (command.role === 'anyone') return { allowed: true };
    const refused = `${oneLine(sender.displayName) || sender.identity || 'this sender'} is not allowed to run ${command.name}`;
    if (command.role === 'operator' && sender.bot) return { allowed: false, reason: `${refused}: bots never change Icinga2` };
    if (command.role === 'operator' && sender.identity === undefined) {
      return { allowed: false, reason: `${refused}: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)` };
    }
    const granted = this.rolesOf(sender, destination).some((role) => this.roles.get(role)?.includes(command.name));
    return granted ? { allowed: true } : { allowed: false, reason: refused };
  }

  /** The commands this sender may run here, in registry order. */
  permitted(sender: CommandSender, destination: string): Command[] {
    return this.registry.all().filter((command) => this.check(command, sender, destination).allowed);
  }

  /**
   * The Icinga2 author of what this sender does: the name `access.authors` gives the identity, or
   * `<identity> (via <backend>)` with the identity the backend verified (IRC account, bare JID,
   * Slack user ID), never the nick or room nick, which people choose and change: with the role,
   * anyone could otherwise act under another person's name. The console's user is the local login.
   */
  author(sender: CommandSender, backend: string): string {
    const { identity } = sender;
    const configured = identity === undefined ? undefined : this.authors.get(identity);
    if (configured !== undefined) return configured;
    const verified = identity?.startsWith(`${backend}:`) ? identity.slice(backend.length + 1) : undefined;
    // Only identified senders change Icinga2; the console's identity names no person, its display name is the login.
    return `${verified ?? (oneLine(sender.displayName) || identity)} (via ${backend})`;
  }
}
