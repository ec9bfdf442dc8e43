import { humanizeSeconds } from '../../formatters/common.js';
import type { Command } from './types.js';
import { parseDurationArgument, UsageError } from './parser.js';
import { resultOf } from './replies.js';

export const ack: Command = {
  name: 'ack',
  aliases: ['acknowledge'],
  usage: 'ack <object> [for <duration>] <comment>',
  description: 'acknowledges the problem of a host or service; with "for 2h" the acknowledgement ends by itself after that long',
  role: 'operator',
  async handler(args, { actions, author, settings }) {
    const { target } = args.object();
    let expiresInSeconds: number | undefined;
    // "for" starts a duration only when a number follows it: "ack web01 for the DBA team" is a comment.
    if (args.peek()?.toLowerCase() === 'for' && /^\d/.test(args.peek(1) ?? '')) {
      args.next();
      expiresInSeconds = parseDurationArgument(args.next()) / 1000;
    }
    const comment = args.rest();
    if (comment === '') throw new UsageError('say why: a comment is required');
    const outcome = await actions.acknowledge(target, { author, comment, expiresInSeconds, ...settings.ack });
    return resultOf(outcome, () => {
      if (expiresInSeconds !== undefined) return `acknowledged ${target.object} for ${humanizeSeconds(expiresInSeconds)}`;
      return `acknowledged ${target.object} until ${settings.ack.sticky ? 'it recovers' : 'its state changes'}`;
    });
  },
};
