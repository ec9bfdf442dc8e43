import type { Command } from './types.js';
import { patternArgument, unsavedNote } from './mute-pattern.js';

export const unmute: Command = {
  name: 'unmute',
  aliases: ['unsilence'],
  usage: 'unmute <pattern>',
  description: 'ends a mute made here with mute, given its pattern as mutes lists it',
  role: 'operator',
  async handler(args, { mutes, destination }) {
    const pattern = patternArgument(args.next());
    args.end();
    const removed = mutes.remove(destination, pattern);
    if (removed === undefined) return { outcome: 'not-found', lines: [`${pattern} is not muted here; mutes lists what is`] };
    return { outcome: 'ok', lines: [`unmuted ${pattern} here${unsavedNote(removed.saved)}`] };
  },
};
