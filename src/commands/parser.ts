/**
 * Reading a chat message as a command: whether it is addressed to the relay, its words, and the
 * objects and durations in them. Nothing here talks to Icinga2; names are only checked for form.
 */
import type { Checkable } from '../icinga/checkables.js';
import { parseDuration, type DurationError } from '../duration.js';
import { checkable } from '../icinga/actions.js';

/**
 * Longest command line accepted, in characters. IRC lines hold ~450; a comment longer than this
 * belongs in a ticket, and a bound keeps a pasted log from becoming an Icinga2 request.
 */
export const MAX_COMMAND_LENGTH = 1000;

/** A command that cannot run as written; the message says why, and the dispatcher adds the usage. */
export class UsageError extends Error {
  constructor(message?: string) {
    super(message ?? '');
    this.name = 'UsageError';
  }
}

/**
 * What `#42` in a command stands for: the problems the relay keeps (src/problems/book.ts). A
 * reference is only ever read as one: `#42` is never taken for a host's name.
 */
export interface ProblemReferences {
  /** The problem with this reference, open or closed but remembered. */
  find(ref: number): { object: string; closedAt?: number } | undefined;
  /** The reference of the object's open problem. */
  refOf(object: string): number | undefined;
}

/** A `#N` that names no open problem: answered as it is, with nothing changed. */
export class UnknownReference extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownReference';
  }
}

const REFERENCE = /^#(\d{1,9})$/;

export interface Addressing {
  /** What starts a command in a channel or room, e.g. `!`. */
  prefix: string;
  /** The relay's own names there (its nick; a mention form such as `<@U0BOT>`), matched without case. */
  names: readonly string[];
}

/** Text after `name:`, `name,` or a mention `@name` (`<@U0BOT>` too), when `text` starts with one. */
function afterName(text: string, name: string): string | undefined {
  for (const form of [name, `@${name}`]) {
    if (form === '' || text.slice(0, form.length).toLowerCase() !== form.toLowerCase()) continue;
    const rest = text.slice(form.length);
    if (/^[:,]/.test(rest)) return rest.slice(1);
    // A mention is addressing enough; a bare name followed by a space is someone talking about the relay.
    if (/^<?@/.test(form) && /^\s/.test(rest)) return rest;
  }
  return undefined;
}

/**
 * The command in a message, or undefined when the message is not addressed to the relay: in a
 * channel or room it starts with the prefix or the relay's name (`icinga-relay: ack ...`); in a
 * direct message the whole text is the command, the prefix or name being optional.
 */
export function commandLine(message: { text: string; direct: boolean }, addressing: Addressing): string | undefined {
  const text = message.text.trim();
  let line: string | undefined;
  if (addressing.prefix !== '' && text.startsWith(addressing.prefix)) line = text.slice(addressing.prefix.length);
  for (const name of addressing.names) line ??= afterName(text, name);
  if (line === undefined && message.direct) line = text;
  line = line?.trim();
  return line === '' ? undefined : line;
}

/**
 * The words of a command, read one at a time so that free text at the end (a comment) is kept
 * as typed. Double quotes group words with spaces (`"web 01!disk /var"`); inside them a backslash
 * takes the next character literally (`\"`, `\\`). Outside quotes a backslash is an ordinary character.
 */
export class CommandArguments {
  private offset = 0;
  /** Told the object the command names, once read: what it is about to act on (set by the dispatcher). */
  onObject: ((named: ObjectArgument) => void) | undefined;

  constructor(
    readonly text: string,
    private readonly references?: ProblemReferences,
  ) {}

  /** The next word as an object (see parseObject), or the object of the open problem it references (`#42`). */
  object(options: { allowAllServices?: boolean } = {}): ObjectArgument {
    const word = this.next();
    const reference = word === undefined ? null : REFERENCE.exec(word);
    const named = reference === null ? parseObject(word, options) : parseObject(this.referenced(word!, Number(reference[1])));
    this.onObject?.(named);
    return named;
  }

  /** The object of the open problem `#ref`; an unknown or closed reference is answered. */
  private referenced(word: string, ref: number): string {
    const problem = this.references?.find(ref);
    if (problem === undefined) throw new UnknownReference(`${word} is not a problem the relay knows; problems lists the open ones`);
    if (problem.closedAt !== undefined) throw new UnknownReference(`${word} was ${problem.object}, which has recovered since; name the object to act on it`);
    return problem.object;
  }

  private skipSpace(): void {
    while (this.offset < this.text.length && /\s/.test(this.text[this.offset])) this.offset++;
  }

  /** The next word, or undefined at the end. */
  next(): string | undefined {
    this.skipSpace();
    if (this.offset >= this.text.length) return undefined;
    let word = '';
    let quoted = false;
    for (; this.offset < this.text.length; this.offset++) {
      const character = this.text[this.offset];
      if (character === '"') {
        quoted = !quoted;
      } else if (quoted && character === '\\' && this.offset + 1 < this.text.length) {
        word += this.text[++this.offset];
      } else if (!quoted && /\s/.test(character)) {
        break;
      } else {
        word += character;
      }
    }
    if (quoted) throw new UsageError('a double quote (") is not closed');
    return word;
  }

  /** The word `ahead` words after the next one (0: the next), left to be read again. */
  peek(ahead = 0): string | undefined {
    const offset = this.offset;
    try {
      let word = this.next();
      for (let skipped = 0; skipped < ahead; skipped++) word = this.next();
      return word;
    } finally {
      this.offset = offset;
    }
  }

  /** Nothing may follow: a stray word would otherwise be silently ignored. */
  end(): void {
    const rest = this.rest();
    if (rest !== '') throw new UsageError(`unexpected "${rest}" at the end`);
  }

  /** Everything not read yet, as typed, without surrounding spaces: free text such as a comment. */
  rest(): string {
    const rest = this.text.slice(this.offset).trim();
    this.offset = this.text.length;
    return rest;
  }
}

export interface ObjectArgument {
  target: Checkable;
  /** `host!*`: the host and all its services. */
  allServices: boolean;
}

// Chat text is one line; anything else in a name would be a paste accident or mischief.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** `host` or `host!service`; `host!*` only where `allowAllServices`. */
export function parseObject(word: string | undefined, { allowAllServices = false } = {}): ObjectArgument {
  if (word === undefined) throw new UsageError();
  const parts = word.split('!');
  const [host, service] = parts;
  if (parts.length > 2 || host === '' || service === '') {
    throw new UsageError(`"${word}" is not an object: write host or host!service (names cannot contain !)`);
  }
  if (CONTROL_CHARACTERS.test(word)) throw new UsageError('object names cannot contain control characters');
  if (service === '*') {
    if (!allowAllServices) throw new UsageError(`${host}!* (a host and all its services) works with downtime and undowntime only`);
    return { target: checkable(host), allServices: true };
  }
  return { target: checkable(host, service), allServices: false };
}

/** A duration in milliseconds; a malformed one is a usage error that shows the accepted forms. */
export function parseDurationArgument(word: string | undefined): number {
  if (word === undefined) throw new UsageError();
  try {
    return parseDuration(word);
  } catch (error) {
    // parseDuration throws nothing else; its message ends with the accepted forms.
    throw new UsageError((error as DurationError).message);
  }
}
