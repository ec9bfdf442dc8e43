import type { Command } from './types.js';

export const whoami: Command = {
  name: 'whoami',
  aliases: [],
  usage: 'whoami',
  description: 'shows the identity the relay sees for you, and your roles here',
  role: 'anyone',
  async handler(args, { access, sender, destination }) {
    args.end();
    const who = sender.identity === undefined ? `the relay cannot tell who ${sender.displayName} is here (no verified identity)` : `you are ${sender.identity}`;
    const roles = access.rolesOf(sender, destination);
    return { outcome: 'ok', lines: [`${who}${sender.bot ? ', a bot' : ''}; your roles here: ${roles.length > 0 ? roles.join(', ') : 'none'}`] };
  },
};
