import type { Command } from './types.js';
import { resultOf } from './replies.js';

export const unack: Command = {
  name: 'unack',
  aliases: ['unacknowledge'],
  usage: 'unack <object>',
  description: 'removes the acknowledgement of a host or service, so that its notifications resume',
  role: 'operator',
  async handler(args, { actions, author }) {
    const { target } = args.object();
    args.end();
    return resultOf(await actions.removeAcknowledgement(target, author), () => `removed the acknowledgement of ${target.object}`);
  },
};
