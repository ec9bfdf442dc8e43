import { humanizeSeconds } from '../../formatters/common.js';
import { objectUrl } from '../web-links.js';
import type { Command } from './types.js';
import { resultOf } from './replies.js';

/** `#42 ` for an object with an open problem in the relay, so that commands can name it so. */
function referenced(ref: number | undefined): string {
  return ref === undefined ? '' : `#${ref} `;
}

export const problems: Command = {
  name: 'problems',
  aliases: ['problem'],
  usage: 'problems [pattern]',
  description:
    'lists the unhandled problems (not acknowledged, not in downtime), worst first, with the relay\'s reference (#42) where it has one and, with web configured, the link to Icinga Web; a pattern such as web* or *!disk (* any characters, ? one) narrows them, and a word without wildcards matches names containing it',
  role: 'viewer',
  async handler(args, { actions, clock, settings, references, web }) {
    const pattern = args.rest() || undefined;
    const now = clock.now() / 1000;
    return resultOf(await actions.problems(pattern), (found) => {
      if (found.length === 0) return `no unhandled problems${pattern === undefined ? '' : ` matching ${pattern}`}`;
      const shown = found.slice(0, settings.maxLines).map(({ state, object, since, output }) =>
        [
          referenced(references?.refOf(object)),
          `${state} ${object}`,
          since === undefined ? '' : ` for ${humanizeSeconds(now - since)}`,
          // Before the output, which the width may cut.
          web === undefined ? '' : ` ${objectUrl(web, object)}`,
          output === undefined ? '' : `: ${output}`].join(''),
      );
      const more = found.length - shown.length;
      return more > 0 ? [...shown, `... and ${more} more`] : shown;
    });
  },
};
