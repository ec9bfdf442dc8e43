import { humanizeSeconds, joinPresent } from '../../formatters/common.js';
import type { Command } from './types.js';
import { objectUrl } from '../web-links.js';
import { resultOf } from './replies.js';

export const status: Command = {
  name: 'status',
  aliases: ['st'],
  usage: 'status <object>',
  description: 'shows the state of a host or service, since when, its last output, and whether it is acknowledged or in downtime; with web configured, its link to Icinga Web',
  role: 'viewer',
  async handler(args, { actions, clock, web }) {
    const { target } = args.object();
    args.end();
    const now = clock.now() / 1000;
    const howLong = (time: number) => humanizeSeconds(Math.abs(time - now));
    return resultOf(await actions.status(target), ({ state, stateType, since, output, acknowledgement, downtimes }) => {
      const lines = [
        state === undefined
          ? `${target.object} is PENDING: no check result yet`
          : joinPresent([`${target.object} is ${state}`, stateType === 'SOFT' ? ' (soft)' : undefined, since === undefined ? undefined : ` for ${howLong(since)}`, output && `: ${output}`], ''),
      ];
      if (acknowledgement) {
        const { author, comment, expiry } = acknowledgement;
        lines.push(joinPresent(['acknowledged', author && ` by ${author}`, expiry === undefined ? undefined : ` (expires in ${howLong(expiry)})`, comment && `: ${comment}`], ''));
      }
      for (const { author, comment, end } of downtimes) {
        lines.push(joinPresent(['in downtime', author && ` by ${author}`, end === undefined ? undefined : ` for another ${howLong(end)}`, comment && `: ${comment}`], ''));
      }
      if (web) lines.push(objectUrl(web, target.object));
      return lines;
    });
  },
};
