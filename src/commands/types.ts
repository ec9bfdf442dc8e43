/** What a chat command is, for every command file, the registry and the dispatcher to share. */
import type { Clock } from '../clock.js';
import type { CommandRole } from '../config/access.js';
import type { CommandsConfig } from '../config/commands.js';
import type { ActionFailureKind, IcingaActions } from '../icinga/actions.js';
import type { MuteList } from '../noise/mutes.js';
import type { IncomingMessage } from '../chat/backend.js';
import type { WebConfig } from '../web-links.js';
import type { CommandArguments, ProblemReferences } from './parser.js';

/** Who may run a command by default: see src/config/access.ts. */
export type { CommandRole } from '../config/access.js';

/** What a command ended with, for the audit and the reply's severity. */
export type CommandOutcome = 'ok' | ActionFailureKind;

export interface CommandResult {
  outcome: CommandOutcome;
  /** One reply message each. */
  lines: string[];
}

export interface CommandContext {
  actions: IcingaActions;
  access: CommandAccess;
  registry: CommandLookup;
  settings: CommandsConfig;
  sender: CommandSender;
  /** Where the command was written (`irc:#ops`), and so where the replies go. */
  destination: string;
  /** The Icinga2 author for what this sender does: `alice (via irc)` or the configured name. */
  author: string;
  clock: Clock;
  /** The noise control's mutes, which mute, unmute and mutes change and show per destination. */
  mutes: MuteList;
  /** The relay's problem references (`#42`), for commands that show them. */
  references?: ProblemReferences;
  /** Icinga Web, for links in replies; absent without a web section. */
  web?: WebConfig;
}

export interface Command {
  name: string;
  aliases: readonly string[];
  /** How to write it: `ack <object> [for <duration>] <comment>`. */
  usage: string;
  description: string;
  role: CommandRole;
  handler(args: CommandArguments, context: CommandContext): Promise<CommandResult>;
}

/** The sender of a message as access control sees it: as the backend delivered it. */
export type CommandSender = IncomingMessage['sender'];

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/** Access control as commands see it (src/commands/access.ts implements it). */
export interface CommandAccess {
  /** The roles that apply to this sender in this destination. */
  rolesOf(sender: CommandSender, destination: string): string[];
  check(command: Command, sender: CommandSender, destination: string): AccessDecision;
  /** The commands this sender may run here, in registry order. */
  permitted(sender: CommandSender, destination: string): Command[];
  /** The Icinga2 author of what this sender does. */
  author(sender: CommandSender, backend: string): string;
}

/** The command registry as commands see it (src/commands/registry.ts implements it). */
export interface CommandLookup {
  find(word: string): Command | undefined;
  all(): readonly Command[];
}
