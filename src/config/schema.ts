/**
 * The building blocks every config section is made of: `${ENV}` expansion, files and `*_file`
 * secrets, durations, sections that are strict about their keys, and the keys every networked chat
 * backend shares. Built per parse (schemaHelpers) because the leaves expand ${ENV}, read files
 * relative to the config file and collect secrets.
 */

import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { pemProblem } from '../util/pem.js';
import { DurationError, formatDuration, parseDuration } from '../duration.js';
import type { RateLimit } from '../util/token-bucket.js';


/** What every networked chat backend has: its send throttle, queue bound and reconnect backoff. */
export interface ChatConnectionConfig {
  /** Token bucket for sending: per connection on IRC and XMPP, per channel on Slack. */
  rate: RateLimit;
  /** Messages kept per destination while the connection is down. */
  queueSize: number;
  reconnect: { minMs: number; maxMs: number };
}

export interface SchemaContext {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  /** Filled while parsing. */
  secrets: string[];
  /** Keys whose secret is written in the file itself rather than taken from ${ENV}. */
  inlineSecretKeys: Set<string>;
}

export interface FileContents {
  path: string;
  contents: string;
}

const DURATION_EXAMPLE = 'a duration such as 90s, 30m, 2h or 1d12h';
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_REFERENCE = /\$(\$?)\{([^}]*)(\}?)/g;

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What was found, as a config error shows it. */
export function describeValue(value: unknown): string {
  if (value == null) return 'nothing';
  if (Array.isArray(value)) {
    const json = JSON.stringify(value);
    return json.length <= 60 ? json : `a list of ${value.length} items`;
  }
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** "a password", "an app_token". */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** What was found, without showing it: for secrets. */
export function describeKind(value: unknown): string {
  if (value == null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

export type ErrorMessage = (issue: z.core.$ZodRawIssue) => string;

export const expecting =
  (what: string): ErrorMessage =>
  (issue) =>
    `expected ${what} but found ${describeValue(issue.input)}`;

/** Node's message ends with the system call and the path; the path is in our message already. */
export function fileProblem(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    // Usually root wrote a file the service user cannot read, or the reverse: say who is reading, and who must.
    return (
      `permission denied for user ${userInfo().username}; the service runs as ${SERVICE_USER}: give the file ` +
      `owner root, group ${SERVICE_USER}, mode 0640, and check as that user: sudo -u ${SERVICE_USER} icinga-relay check-config FILE`
    );
  }
  return (error as Error).message.split(',')[0];
}

/** The user the systemd unit runs the relay as (systemd/icinga-relay.service). */
export const SERVICE_USER = 'icinga-relay';

/** The schema builders, bound to one parse's context. */
export function schemaHelpers(context: SchemaContext) {
  /** Expands ${NAME} references; `literal` tells whether any text came from the file itself. */
  function expand(raw: string, ctx: z.core.$RefinementCtx, { secret = false } = {}): { value: string; literal: boolean } {
    let referencedLength = 0;
    const value = raw.replace(VARIABLE_REFERENCE, (reference: string, escape: string, name: string, close: string) => {
      if (escape) return reference.slice(1);
      let problem: string | undefined;
      if (!close || !VARIABLE_NAME.test(name)) {
        // A secret's text stays out of error messages, which end up in logs.
        const found = secret ? 'the value holds an invalid variable reference' : `${JSON.stringify(reference)} is not a valid variable reference`;
        problem = `${found}: write \${NAME} (letters, digits, _), or $\${ for a literal \${`;
      } else if (context.env[name] === undefined) {
        problem = `environment variable ${name} is not set`;
      }
      if (problem) {
        // Not fatal, so that a union (icinga.url) still knows which of its options the value was meant for.
        ctx.addIssue({ code: 'custom', message: problem, continue: true });
        return reference;
      }
      referencedLength += reference.length;
      return context.env[name]!;
    });
    return { value, literal: referencedLength < raw.length };
  }

  const envText = (what: string) =>
    z.string({ error: expecting(what) }).transform((raw, ctx) => expand(raw, ctx).value);

  const text = (what: string) => envText(what).pipe(z.string().min(1, { error: expecting(what) }));

  const choice = <const T extends readonly string[]>(values: T) =>
    envText(`one of ${values.join(', ')}`).pipe(z.enum(values, { error: expecting(`one of ${values.join(', ')}`) }));

  const duration = envText(DURATION_EXAMPLE).transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      // parseDuration throws nothing else.
      const { reason } = error as DurationError;
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_EXAMPLE} but found ${JSON.stringify(value)} (${reason})` });
      return z.NEVER;
    }
  });

  const file = (what: string) =>
    text(`the path of ${what}`).transform((name, ctx): FileContents => {
      const path = resolve(context.baseDir, name);
      try {
        return { path, contents: readFileSync(path, 'utf8') };
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${fileProblem(error)})` });
        return z.NEVER;
      }
    });

  /** A PEM file, read and parsed now: `check-config` finds a wrong file, not the first connection. */
  const pemFile = (what: string, kind: 'CA' | 'certificate' | 'key') =>
    file(what).transform((read, ctx): FileContents => {
      const problem = pemProblem(read.contents, kind);
      if (problem === undefined) return read;
      ctx.addIssue({ code: 'custom', message: `${read.path} is not ${what}: ${problem}` });
      return z.NEVER;
    });

  /** A secret in the file: expanded and collected like any string, but never shown in errors. */
  const secret = (key: string) =>
    z
      .string({ error: (issue) => `expected ${withArticle(key)} (a string: quote it) but found ${describeKind(issue.input)}` })
      .transform((raw, ctx) => {
        const { value, literal } = expand(raw, ctx, { secret: true });
        if (literal) context.inlineSecretKeys.add(key);
        return value;
      })
      .pipe(z.string().min(1, { error: `expected ${withArticle(key)} but found an empty string` }))
      .transform((value) => {
        context.secrets.push(value);
        return value;
      });

  /** `<key>_file`: the secret is the file's contents, without the newline editors add. */
  const secretFile = (key: string) =>
    file(`a file holding the ${key}`).transform(({ path, contents }, ctx): FileContents => {
      const value = contents.replace(/\r?\n$/, '');
      if (value === '') {
        ctx.addIssue({ code: 'custom', message: `expected ${withArticle(key)} in ${path} but found an empty file` });
        return z.NEVER;
      }
      context.secrets.push(value);
      return { path, contents: value };
    });

  const httpsUrl = envText('an https:// URL').superRefine(
    (text, ctx) => {
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (url?.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `expected an https:// URL but found ${JSON.stringify(text)}` });
      } else if (url.username || url.password) {
        // fetch() refuses such URLs, and they would put the password in logs.
        ctx.addIssue({ code: 'custom', message: 'expected an https:// URL without user:password@ (use username and password) but found one with it' });
      }
    },
    // Not on top of an unset variable. A refinement rather than a pipe, which would make that
    // problem fatal and hide from the union in icinga.url which option the value was meant for.
    { when: (payload) => payload.issues.length === 0 },
  );

  /** A mapping that accepts only these keys. */
  const section = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys' ? `unknown key (allowed: ${Object.keys(shape).join(', ')})` : expecting('a mapping')(issue),
    });

  /** A section of defaults only: absent, or present with every line commented out, means all defaults. */
  const optionalSection = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.preprocess((value) => value ?? {}, section(shape));

  /** Reconnect backoff settings; `defaultMax` is where the delay stops doubling when `max` is not given. */
  const reconnectUpTo = (defaultMax: string) =>
    optionalSection({ min: duration.prefault('1s'), max: duration.prefault(defaultMax) }).transform(({ min, max }, ctx) => {
      if (min > max) {
        ctx.addIssue({ code: 'custom', message: `expected min no longer than max but found min ${formatDuration(min)}, max ${formatDuration(max)}` });
        return z.NEVER;
      }
      return { minMs: min, maxMs: max };
    });
  const reconnect = reconnectUpTo('60s');

  /**
   * A section that is off when absent (a chat backend, commands, access); present with nothing
   * under it (`console:`, every line commented out) turns it on with defaults.
   */
  const switchedSection = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.preprocess((value) => (value === null ? {} : value), section(shape));

  /** A secret given as `<key>` or `<key>_file`, at most one of them (`required`: exactly one). */
  const secretChoice = (keys: Record<string, unknown>, key: string, ctx: z.core.$RefinementCtx, required: boolean) => {
    const inline = keys[key] !== undefined;
    const fromFile = keys[`${key}_file`] !== undefined;
    if (inline && fromFile) ctx.addIssue({ code: 'custom', message: `expected either ${key} or ${key}_file but found both` });
    if (required && !inline && !fromFile) ctx.addIssue({ code: 'custom', message: `missing required key "${key}" (or ${key}_file)` });
  };
  const secretValue = (inline: unknown, fromFile: unknown) => (inline as string | undefined) ?? (fromFile as FileContents | undefined)?.contents;

  /** A token bucket: `burst` at once, then `per_second` on average. */
  const rateLimit = (burst: number, perSecond: number, unit = 'messages') =>
    optionalSection({
      burst: z.int({ error: expecting(`a whole number of ${unit}, at least 1`) }).min(1).default(burst),
      per_second: z.number({ error: expecting(`a number of ${unit} per second above 0`) }).positive().default(perSecond),
    });

  const connectionKeys = (burst: number, perSecond: number) => ({
    rate: rateLimit(burst, perSecond),
    queue_size: z.int({ error: expecting('a whole number of messages from 1 to 1000000') }).min(1).max(1_000_000).default(1000),
    reconnect,
  });
  const connection = (keys: { rate: { burst: number; per_second: number }; queue_size: number; reconnect: { minMs: number; maxMs: number } }): ChatConnectionConfig => ({
    rate: { burst: keys.rate.burst, perSecond: keys.rate.per_second },
    queueSize: keys.queue_size,
    reconnect: keys.reconnect,
  });
  const nonEmptyList = <T extends z.ZodType>(item: T, what: string) =>
    z.array(item, { error: expecting(`a list of ${what}`) }).min(1, { error: `expected at least one of ${what} but found an empty list` });

  /** A file the relay writes (audit log, state): created on first use, so only its directory has to exist now. */
  const writableFile = (what: string) =>
    text(`the path of ${what}`).transform((name, ctx) => {
      const path = resolve(context.baseDir, name);
      try {
        if (!statSync(dirname(path)).isDirectory()) throw new Error(`${dirname(path)} is not a directory`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot write ${path} (${fileProblem(error)})` });
        return z.NEVER;
      }
      return path;
    });

  /** A mapping whose keys must have a form: identities, destinations, role names. */
  const keyedMapping = <T extends z.ZodType>(value: T, what: string, key: { form: RegExp; what: string }) =>
    z.record(z.string(), value, { error: expecting(what) }).superRefine(
      (mapping, ctx) => {
        for (const name of Object.keys(mapping)) {
          if (!key.form.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `expected ${key.what} but found ${JSON.stringify(name)}` });
        }
      },
      // Also when some values are wrong, so all problems show at once; only the keys are checked.
      { when: (payload) => isMapping(payload.value) },
    );

  /** One value, or a list of alternatives any of which will do. */
  const alternatives = <T extends z.ZodType>(item: T, what: string) =>
    z
      .union([item, z.array(item).min(1, { error: `expected ${what} or a list of them but found an empty list` })], {
        error: expecting(`${what} or a list of them`),
      })
      .transform((value) => (Array.isArray(value) ? value : [value]) as z.output<T>[]);

  const count = (what: string, min: number, max: number) =>
    z.int({ error: expecting(`a whole number of ${what} from ${min} to ${max}`) }).min(min).max(max);

  return {
    /** The config file's directory, against which relative paths are resolved. */
    baseDir: context.baseDir,
    envText,
    text,
    choice,
    duration,
    file,
    pemFile,
    secret,
    secretFile,
    httpsUrl,
    section,
    optionalSection,
    switchedSection,
    reconnect,
    reconnectUpTo,
    secretChoice,
    secretValue,
    rateLimit,
    connectionKeys,
    connection,
    nonEmptyList,
    writableFile,
    keyedMapping,
    alternatives,
    count,
  };
}

export type SchemaHelpers = ReturnType<typeof schemaHelpers>;
