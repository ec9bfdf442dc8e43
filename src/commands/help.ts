import type { Command } from './types.js';

export const help: Command = {
  name: 'help',
  aliases: [],
  usage: 'help [command]',
  description: 'lists the commands you may run here, or shows how to use one',
  role: 'anyone',
  async handler(args, { access, registry, sender, destination }) {
    const word = args.next();
    args.end();
    if (word === undefined) {
      const names = access.permitted(sender, destination).map((command) => command.name);
      return { outcome: 'ok', lines: [`commands you may run here: ${names.join(', ')}; "help <command>" shows how to use one`] };
    }
    const command = registry.find(word);
    if (!command) return { outcome: 'not-found', lines: [`unknown command ${word}, try help`] };
    const aliases = command.aliases.length > 0 ? ` (also: ${command.aliases.join(', ')})` : '';
    const allowed = access.check(command, sender, destination).allowed ? '' : ' You may not run it here.';
    return { outcome: 'ok', lines: [`${command.usage}${aliases}: ${command.description}.${allowed}`] };
  },
};
