import { humanizeSeconds } from '../../formatters/common.js';
import type { Command } from './types.js';
import { parseDurationArgument, UsageError } from './parser.js';
import { describeTarget, resultOf } from './replies.js';

export const downtime: Command = {
  name: 'downtime',
  aliases: ['dt'],
  usage: 'downtime <object> <duration> [flexible] <comment>',
  description:
    'schedules a downtime starting now: fixed (the default) for the duration, or flexible (it starts when a problem begins within the duration, then lasts that long); host!* covers a host and all its services',
  role: 'operator',
  async handler(args, { actions, author }) {
    const { target, allServices } = args.object({ allowAllServices: true });
    const durationSeconds = parseDurationArgument(args.next()) / 1000;
    const kind = args.peek()?.toLowerCase();
    const fixed = kind !== 'flexible';
    if (kind === 'flexible' || kind === 'fixed') args.next();
    const comment = args.rest();
    if (comment === '') throw new UsageError('say why: a comment is required');
    const outcome = await actions.scheduleDowntime(target, { author, comment, durationSeconds, fixed, allServices });
    const length = humanizeSeconds(durationSeconds);
    return resultOf(outcome, () =>
      fixed
        ? `scheduled a fixed downtime of ${length} for ${describeTarget(target, allServices)}`
        : `scheduled a flexible downtime of ${length} for ${describeTarget(target, allServices)}: it starts when a problem begins within the next ${length}`,
    );
  },
};
