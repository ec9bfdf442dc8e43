/** Commands by name and alias. */
import type { Command, CommandLookup } from './types.js';

const WORD = /^[a-z][a-z0-9-]*$/;

export class CommandRegistry implements CommandLookup {
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
