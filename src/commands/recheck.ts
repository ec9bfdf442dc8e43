import type { Command } from './types.js';
import { resultOf } from './replies.js';

export const recheck: Command = {
  name: 'recheck',
  aliases: ['check'],
  usage: 'recheck <object>',
  description: 'runs the check of a host or service now, even outside its check period',
  role: 'operator',
  async handler(args, { actions }) {
    const { target } = args.object();
    args.end();
    return resultOf(await actions.recheck(target), () => `rescheduled the check of ${target.object} to run now`);
  },
};
