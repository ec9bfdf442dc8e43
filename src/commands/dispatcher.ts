/**
 * One path for every command: addressing and parsing → access check → per-sender rate limit →
 * handler → replies → audit. Whatever happens, the sender gets a short reply (or, while rate
 * limited, silence after the first notice), the audit gets a line, and nothing throws: a stack
 * trace never reaches chat.
 */
import { oneLine, truncate } from '../../formatters/common.js';
import { TokenBucket } from '../chat/token-bucket.js';
import type { IncomingMessage } from '../chat/backend.js';
import type { Clock } from '../clock.js';
import type { CommandsConfig } from '../config.js';
import type { IcingaActions } from '../icinga/actions.js';
import type { Logger } from '../log.js';
import type { MuteList } from '../noise/mutes.js';
import type { RelayMessage } from '../message.js';
import type { AccessControl } from './access.js';
import type { AuditLog } from './audit.js';
import type { Command, CommandRegistry, CommandResult } from './index.js';
import { CommandArguments, commandLine, MAX_COMMAND_LENGTH, UsageError } from './parser.js';

export interface DispatcherOptions {
  actions: IcingaActions;
  access: AccessControl;
  registry: CommandRegistry;
  settings: CommandsConfig;
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
  /** Longest reply text, in characters (format.width). */
  width: number;
  mutes: MuteList;
  /** Told every command's outcome (as audited), for /metrics. */
  onOutcome?: (outcome: string, command: string | undefined) => void;
}

/** Where a message came from: the backend's name and the relay's own names there (its nick). */
export interface MessageSource {
  backend: string;
  names: readonly string[];
}

type Outcome = CommandResult['outcome'] | 'denied' | 'rate-limited' | 'unknown-command' | 'usage' | 'too-long' | 'error';

interface Handled {
  outcome: Outcome;
  lines: string[];
  command?: Command;
}

const AUDITED_COMMAND_LENGTH = 200;

export class Dispatcher {
  private readonly buckets = new Map<string, { bucket: TokenBucket; told: boolean }>();

  constructor(private readonly options: DispatcherOptions) {}

  /**
   * Runs the command in `message`, if it holds one, and returns the replies for its destination.
   * `later` sends what the command says before or after its replies (Icinga2 is reloading, an
   * action lost in a reload was done again): without it, that goes to the log only.
   */
  async dispatch(message: IncomingMessage, source: MessageSource, later?: (reply: RelayMessage) => void): Promise<RelayMessage[]> {
    const line = commandLine(message, { prefix: this.options.settings.prefix, names: source.names });
    if (line === undefined) return [];
    let handled: Handled;
    try {
      handled = await this.handle(line, message, source, later);
    } catch (error) {
      // A bug in a command: the log gets the details, the sender a plain sentence.
      this.options.logger.error('command failed', { backend: source.backend, command: line.slice(0, AUDITED_COMMAND_LENGTH), error });
      handled = { outcome: 'error', lines: ['that command failed inside the relay; its log has the details'] };
    }
    this.options.audit.record({
      backend: source.backend,
      destination: message.destination,
      identity: message.sender.identity ?? null,
      name: message.sender.displayName,
      command: truncate(line, AUDITED_COMMAND_LENGTH),
      outcome: handled.outcome,
      reply: handled.lines[0],
    });
    this.options.onOutcome?.(handled.outcome, handled.command?.name);
    return handled.lines.map((text) => this.reply(text, handled.outcome, handled.command));
  }

  private reply(text: string, outcome: Outcome | 'notice', command: Command | undefined): RelayMessage {
    return {
      eventType: 'Reply',
      severity: outcome === 'ok' || outcome === 'notice' ? 'info' : 'warning',
      text: truncate(oneLine(text), this.options.width),
      timestamp: this.options.clock.now() / 1000,
      fields: { command: command?.name, outcome },
    };
  }

  private async handle(line: string, message: IncomingMessage, source: MessageSource, later?: (reply: RelayMessage) => void): Promise<Handled> {
    const { access, registry, logger } = this.options;
    if (line.length > MAX_COMMAND_LENGTH) {
      return { outcome: 'too-long', lines: [`that command is too long (${line.length} characters, at most ${MAX_COMMAND_LENGTH}); please shorten it`] };
    }
    const args = new CommandArguments(line);
    let word: string;
    try {
      // commandLine() returns text with something in it, so there is a first word.
      word = args.next()!;
    } catch (error) {
      return { outcome: 'usage', lines: [(error as UsageError).message] };
    }
    const command = registry.find(word);
    if (!command) return { outcome: 'unknown-command', lines: [`unknown command ${truncate(oneLine(word), 40)}, try help`] };

    const decision = access.check(command, message.sender, message.destination);
    if (!decision.allowed) {
      logger.warn('command refused', { backend: source.backend, destination: message.destination, identity: message.sender.identity, command: command.name });
      return { outcome: 'denied', lines: [decision.reason], command };
    }
    const limited = this.rateLimited(message, source);
    if (limited !== undefined) return { outcome: 'rate-limited', lines: limited, command };

    const context = {
      actions: later ? this.options.actions.onBehalfOf((text) => later(this.reply(text, 'notice', command))) : this.options.actions,
      access,
      registry,
      settings: this.options.settings,
      sender: message.sender,
      destination: message.destination,
      author: access.author(message.sender, source.backend),
      clock: this.options.clock,
      mutes: this.options.mutes,
    };
    try {
      return { ...(await command.handler(args, context)), command };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const usage = `usage: ${command.usage}`;
      return { outcome: 'usage', lines: [error.message ? `${error.message}; ${usage}` : usage], command };
    }
  }

  /**
   * Undefined when the sender may go on; otherwise the reply: a notice the first time, then
   * silence until a command passes again, so that a flood does not become a flood of replies.
   * Senders without identity share one bucket per backend: nick changes must not escape it.
   */
  private rateLimited(message: IncomingMessage, source: MessageSource): string[] | undefined {
    const key = message.sender.identity ?? `${source.backend} (unidentified)`;
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.options.settings.rate, this.options.clock), told: false };
      this.buckets.set(key, entry);
    }
    const taken = entry.bucket.take();
    if (taken.ok) {
      entry.told = false;
      return undefined;
    }
    if (entry.told) return [];
    entry.told = true;
    return [`${oneLine(message.sender.displayName) || 'you'}, too many commands: try again in ${Math.ceil(taken.waitMs / 1000)} s`];
  }
}
