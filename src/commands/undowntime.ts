import type { Command } from './types.js';
import { resultOf } from './replies.js';

export const undowntime: Command = {
  name: 'undowntime',
  aliases: ['undt'],
  usage: 'undowntime <object>',
  description: "removes the downtimes of a host or service (a host's take the service downtimes scheduled with them along); host!* removes those of the host and all its services",
  role: 'operator',
  async handler(args, { actions, author }) {
    const { target, allServices } = args.object({ allowAllServices: true });
    args.end();
    return resultOf(await actions.removeDowntimes(target, { author, allServices }), ({ removed, onServices }) => {
      const count = `${removed} downtime${removed === 1 ? '' : 's'}`;
      return `removed ${count} from ${target.object}${onServices > 0 ? ' and its services' : ''}`;
    });
  },
};
