/**
 * One path for every command: addressing → per-sender rate budget → parsing → identity lookup →
 * access check → handler → replies → audit. The budget is charged before anything else is done for
 * a line (parsing, a WHOIS, a name lookup, an Icinga2 call), whatever the line turns out to be: an
 * unknown command and a refusal cost as much as a command that runs. Whatever happens, the sender
 * gets a short reply (or, over budget, one "slow down" a window and silence), the audit gets a
 * line, and nothing throws: a stack trace never reaches chat.
 */
import { oneLine, truncate } from '../util/values.js';
import type { IncomingMessage } from '../chat/backend.js';
import type { Clock } from '../clock.js';
import type { CommandsConfig } from '../config/commands.js';
import type { IcingaActions } from '../icinga/actions.js';
import type { Logger } from '../log.js';
import type { ChatAction } from '../problems/echoes.js';
import type { WebConfig } from '../web-links.js';
import type { MuteList } from '../noise/mutes.js';
import type { RelayMessage } from '../message.js';
import type { AccessControl } from './access.js';
import type { AuditLog } from './audit.js';
import { SenderBudgets } from './budget.js';
import type { Command, CommandResult } from './types.js';
import type { CommandRegistry } from './registry.js';
import { CommandArguments, commandLine, MAX_COMMAND_LENGTH, UnknownReference, UsageError, type ProblemReferences } from './parser.js';

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
  /** What `#42` stands for in commands; without it a reference names no problem. */
  references?: ProblemReferences;
  /**
   * Told of every action about to change Icinga2 from chat, so that the events it causes are
   * folded into its reply (src/problems/echoes.ts); what it answers is called if the action did not happen.
   */
  onAction?: (action: ChatAction) => () => void;
  /** Icinga Web, for links in replies (the web section). */
  web?: WebConfig;
  /** Told every command's outcome (as audited), for /metrics. */
  onOutcome?: (outcome: string, command: string | undefined) => void;
  /** Told each time a sender goes over budget (once per window), for /metrics. */
  onThrottled?: (backend: string) => void;
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
  /** The sender with the identity looked up for the command, when it was. */
  sender?: IncomingMessage['sender'];
}

const AUDITED_COMMAND_LENGTH = 200;

export class Dispatcher {
  private readonly budgets: SenderBudgets;

  constructor(private readonly options: DispatcherOptions) {
    this.budgets = new SenderBudgets(options.settings.rate, options.clock);
  }

  /** Senders whose budget is remembered (bounded: see SenderBudgets). */
  get sendersTracked(): number {
    return this.budgets.size;
  }

  /**
   * Runs the command in `message`, if it holds one, and returns the replies for its destination.
   * `later` sends what the command says before or after its replies (Icinga2 is reloading, an
   * action lost in a reload was done again): without it, that goes to the log only.
   */
  async dispatch(message: IncomingMessage, source: MessageSource, later?: (reply: RelayMessage) => void): Promise<RelayMessage[]> {
    const line = commandLine(message, { prefix: this.options.settings.prefix, names: source.names });
    if (line === undefined) return [];
    const { sender } = message;
    const charge = this.budgets.charge(sender.identity ?? sender.rateKey ?? `${source.backend} (unidentified)`);
    if (!charge.ok) {
      this.options.onOutcome?.('rate-limited', undefined);
      if (!charge.tell) return [];
      // Audited once a window, like the answer: a flood must not become a flood of audit lines.
      this.options.onThrottled?.(source.backend);
      const text = `${oneLine(sender.displayName) || 'you'}, too many commands: try again in ${Math.ceil(charge.waitMs / 1000)} s`;
      return this.finish(line, message, source, { outcome: 'rate-limited', lines: [text] }, false);
    }
    let handled: Handled;
    try {
      handled = await this.handle(line, message, source, later);
    } catch (error) {
      // A bug in a command: the log gets the details, the sender a plain sentence.
      this.options.logger.error('command failed', { backend: source.backend, command: line.slice(0, AUDITED_COMMAND_LENGTH), error });
      handled = { outcome: 'error', lines: ['that command failed inside the relay; its log has the details'] };
    }
    return this.finish(line, message, source, handled, true);
  }

  /** Audits the outcome and turns the lines into replies. */
  private finish(line: string, message: IncomingMessage, source: MessageSource, handled: Handled, count: boolean): RelayMessage[] {
    this.options.audit.record({
      backend: source.backend,
      destination: message.destination,
      identity: (handled.sender ?? message.sender).identity ?? null,
      name: message.sender.displayName,
      command: truncate(line, AUDITED_COMMAND_LENGTH),
      outcome: handled.outcome,
      reply: handled.lines[0],
    });
    if (count) this.options.onOutcome?.(handled.outcome, handled.command?.name);
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
    const args = new CommandArguments(line, this.options.references);
    let word: string;
    try {
      // commandLine() returns text with something in it, so there is a first word.
      word = args.next()!;
    } catch (error) {
      return { outcome: 'usage', lines: [(error as UsageError).message] };
    }
    const command = registry.find(word);
    if (!command) return { outcome: 'unknown-command', lines: [`unknown command ${truncate(oneLine(word), 40)}, try help`] };

    const sender = await identified(message.sender);
    const decision = access.check(command, sender, message.destination);
    if (!decision.allowed) {
      logger.warn('command refused', { backend: source.backend, destination: message.destination, identity: sender.identity, command: command.name });
      return { outcome: 'denied', lines: [decision.reason], command, sender };
    }

    const context = {
      actions: later ? this.options.actions.onBehalfOf((text) => later(this.reply(text, 'notice', command))) : this.options.actions,
      access,
      registry,
      settings: this.options.settings,
      sender,
      destination: message.destination,
      author: access.author(sender, source.backend),
      clock: this.options.clock,
      mutes: this.options.mutes,
      references: this.options.references,
      web: this.options.web,
    };
    // Told before the action runs: its events can come back on the stream before Icinga2's answer does.
    let withdraw: (() => void) | undefined;
    if (command.role === 'operator') {
      args.onObject = ({ target, allServices }) => {
        withdraw = this.options.onAction?.({ destination: message.destination, command: command.name, author: context.author, host: target.host, service: target.service, allServices });
      };
    }
    let result: CommandResult | undefined;
    try {
      result = await command.handler(args, context);
      return { ...result, command, sender };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      if (error instanceof UnknownReference) return { outcome: 'not-found', lines: [error.message], command, sender };
      const usage = `usage: ${command.usage}`;
      return { outcome: 'usage', lines: [error.message ? `${error.message}; ${usage}` : usage], command, sender };
    } finally {
      // Nothing changed in Icinga2: nothing to fold.
      if (result?.outcome !== 'ok') withdraw?.();
    }
  }
}

/** The sender with its identity, looked up now if the backend left that for when a command needs it. */
async function identified(sender: IncomingMessage['sender']): Promise<IncomingMessage['sender']> {
  if (sender.identity !== undefined || !sender.identify) return sender;
  const identity = await sender.identify();
  return identity === undefined ? sender : { ...sender, identity };
}
