/** What mute and unmute share: reading the pattern (matched by patternMatcher in src/glob.ts), and saying when a change did not reach the state file. */
import { CONTROL_CHARACTERS, UsageError } from './parser.js';

export function patternArgument(word: string | undefined): string {
  if (word === undefined) throw new UsageError();
  if (CONTROL_CHARACTERS.test(word)) throw new UsageError('patterns cannot contain control characters');
  return word;
}

export function unsavedNote(saved: boolean): string {
  return saved ? '' : ' (but it could not be saved, so it ends if the relay restarts: see the relay log)';
}
