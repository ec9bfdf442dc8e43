import { humanizeSeconds } from '../../formatters/common.js';
import type { Command } from './types.js';
import { parseDurationArgument, UsageError } from './parser.js';
import { patternArgument, unsavedNote } from './mute-pattern.js';

export const mute: Command = {
  name: 'mute',
  aliases: ['silence'],
  usage: 'mute <pattern> [for <duration>]',
  description:
    'silences the alerts of matching hosts and services here, for an hour unless a duration is given; patterns as for problems (web*, *!disk, db01); the recovery of a problem already shown still comes through',
  role: 'operator',
  async handler(args, { mutes, destination, author, clock }) {
    const pattern = patternArgument(args.next());
    let forMs = mutes.defaultForMs;
    if (args.peek() !== undefined) {
      if (args.next()!.toLowerCase() !== 'for') throw new UsageError('after the pattern, write "for <duration>" or nothing');
      forMs = parseDurationArgument(args.next());
    }
    args.end();
    const saved = mutes.add({ destination, pattern, until: clock.now() + forMs, author });
    return { outcome: 'ok', lines: [`muted ${pattern} here for ${humanizeSeconds(forMs / 1000)}${unsavedNote(saved)}`] };
  },
};
