import { humanizeSeconds } from '../../formatters/common.js';
import type { Command } from './types.js';
import { resultOf } from './replies.js';

export const problems: Command = {
  name: 'problems',
  aliases: ['problem'],
  usage: 'problems [pattern]',
  description:
    'lists the unhandled problems (not acknowledged, not in downtime), worst first; a pattern such as web* or *!disk (* any characters, ? one) narrows them, and a word without wildcards matches names containing it',
  role: 'viewer',
  async handler(args, { actions, clock, settings }) {
    const pattern = args.rest() || undefined;
    const now = clock.now() / 1000;
    return resultOf(await actions.problems(pattern), (found) => {
      if (found.length === 0) return `no unhandled problems${pattern === undefined ? '' : ` matching ${pattern}`}`;
      const shown = found.slice(0, settings.maxLines).map(({ state, object, since, output }) =>
        [`${state} ${object}`, since === undefined ? '' : ` for ${humanizeSeconds(now - since)}`, output === undefined ? '' : `: ${output}`].join(''),
      );
      const more = found.length - shown.length;
      return more > 0 ? [...shown, `... and ${more} more`] : shown;
    });
  },
};
