import type { Command } from './types.js';
import { UsageError } from './parser.js';
import { resultOf } from './replies.js';

export const comment: Command = {
  name: 'comment',
  aliases: [],
  usage: 'comment <object> <text>',
  description: 'adds a comment to a host or service',
  role: 'operator',
  async handler(args, { actions, author }) {
    const { target } = args.object();
    const text = args.rest();
    if (text === '') throw new UsageError('the comment text is missing');
    return resultOf(await actions.addComment(target, author, text), () => `added a comment to ${target.object}`);
  },
};
