import { humanizeSeconds } from '../../formatters/common.js';
import type { Command } from './types.js';

export const mutes: Command = {
  name: 'mutes',
  aliases: [],
  usage: 'mutes',
  description: 'lists the mutes of this channel or room, soonest to end first',
  role: 'viewer',
  async handler(args, { mutes: list, destination, clock, settings }) {
    args.end();
    const active = list.list(destination);
    if (active.length === 0) return { outcome: 'ok', lines: ['nothing is muted here'] };
    const now = clock.now();
    const shown = active
      .slice(0, settings.maxLines)
      .map(({ pattern, until, author }) => `${pattern} muted by ${author}, ${humanizeSeconds(Math.ceil((until - now) / 1000))} left`);
    const more = active.length - shown.length;
    return { outcome: 'ok', lines: more > 0 ? [...shown, `... and ${more} more`] : shown };
  },
};
