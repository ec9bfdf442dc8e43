import { EVENT_TYPES } from '../icinga/event-types.js';
import { unsavedNote } from './mute-pattern.js';
import { UsageError } from './parser.js';
import type { Command } from './types.js';

const BY_LOWER_CASE = new Map<string, string>(EVENT_TYPES.map((type) => [type.toLowerCase(), type]));

export const events: Command = {
  name: 'events',
  aliases: [],
  usage: 'events [<event type> ...|*]',
  description:
    'says which Icinga2 event types are shown here; "events StateChange Notification" shows only those here from now on, "events *" everything again (the relay\'s own notices and catch-up summaries always)',
  role: 'operator',
  async handler(args, { mutes, destination }) {
    const words: string[] = [];
    for (let word = args.next(); word !== undefined; word = args.next()) words.push(word);
    if (words.length === 0) {
      const shown = mutes.eventFilter(destination);
      return { outcome: 'ok', lines: [shown === undefined ? 'every event type is shown here' : `shown here: ${shown.join(', ')} (events * shows everything)`] };
    }
    if (words.length === 1 && words[0] === '*') {
      return { outcome: 'ok', lines: [`every event type is shown here again${unsavedNote(mutes.setEventFilter(destination, undefined))}`] };
    }
    const types = words.map((word) => {
      const type = BY_LOWER_CASE.get(word.toLowerCase());
      if (type === undefined) throw new UsageError(`${word} is not an Icinga2 event type (${EVENT_TYPES.join(', ')})`);
      return type;
    });
    const unique = [...new Set(types)];
    return { outcome: 'ok', lines: [`shown here from now on: ${unique.join(', ')}${unsavedNote(mutes.setEventFilter(destination, unique))}`] };
  },
};
