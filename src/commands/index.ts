/**
 * The chat commands: each file in src/commands/ declares one as data (name, aliases, usage,
 * description, role, handler), and this registry holds them by name and alias. Parsing, access
 * checks, rate limiting and the audit happen once, in the dispatcher. Adding a command means a
 * file and a line in COMMANDS below.
 */
import type { Clock } from '../clock.js';
import type { CommandsConfig } from '../config.js';
import type { FailureKind, IcingaActions } from '../icinga/actions.js';
import type { MuteList } from '../noise/mutes.js';
import type { WebConfig } from '../web-links.js';
import type { AccessControl, CommandSender } from './access.js';
import type { CommandArguments, ProblemReferences } from './parser.js';
import { ack } from './ack.js';
import { comment } from './comment.js';
import { downtime } from './downtime.js';
import { help } from './help.js';
import { mute } from './mute.js';
import { mutes } from './mutes.js';
import { problems } from './problems.js';
import { recheck } from './recheck.js';
import { status } from './status.js';
import { unack } from './unack.js';
import { unmute } from './unmute.js';
import { undowntime } from './undowntime.js';
import { whoami } from './whoami.js';

/**
 * Who may run a command by default. `viewer`: it only reads (may be granted to everyone);
 * `operator`: it changes Icinga2 (never for unidentified senders or bots); `anyone`: it tells
 * the asker about the relay itself and is always allowed (help, whoami).
 */
export type CommandRole = 'anyone' | 'viewer' | 'operator';

/** What a command ended with, for the audit and the reply's severity. */
export type CommandOutcome = 'ok' | FailureKind;

export interface CommandResult {
  outcome: CommandOutcome;
  /** One reply message each. */
  lines: string[];
}

export interface CommandContext {
  actions: IcingaActions;
  access: AccessControl;
  registry: CommandRegistry;
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

const WORD = /^[a-z][a-z0-9-]*$/;

export class CommandRegistry {
  private readonly byWord = new Map<string, Command>();
  private readonly commands: Command[] = [];

  /** Adds a command; a name or alias that is malformed or already taken is a programming error, caught here. */
  register(command: Command): this {
    const words = [command.name, ...command.aliases];
    words.forEach((word, index) => {
      if (!WORD.test(word)) throw new Error(`command ${command.name}: "${word}" is not a command word (lower case letters, digits, -)`);
      const taken = this.byWord.get(word) ?? (words.indexOf(word) < index ? command : undefined);
      if (taken) throw new Error(`command ${command.name}: "${word}" is already taken by the command ${taken.name}`);
    });
    for (const word of words) this.byWord.set(word, command);
    this.commands.push(command);
    return this;
  }

  /** The command with this name or alias, in any case. */
  find(word: string): Command | undefined {
    return this.byWord.get(word.toLowerCase());
  }

  all(): readonly Command[] {
    return this.commands;
  }
}

export const COMMANDS = new CommandRegistry()
  .register(ack)
  .register(unack)
  .register(comment)
  .register(downtime)
  .register(undowntime)
  .register(recheck)
  .register(status)
  .register(problems)
  .register(mute)
  .register(unmute)
  .register(mutes)
  .register(help)
  .register(whoami);
