/**
 * Logging to stderr with levels. Under systemd (JOURNAL_STREAM set) each line starts with the
 * syslog priority prefix `<N>` that journald turns into the entry's level, and the timestamp is
 * left to journald. Registered secrets are masked in every line, whatever the caller passes.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const SYSLOG_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether lines of this level are written: for the caller to skip building what would not be. */
  enabled(level: LogLevel): boolean;
  /** A logger that adds `component=<name>` to every line. */
  child(component: string): Logger;
  /** Masks this value wherever it would appear in a log line. */
  addSecret(secret: string | undefined): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  journald?: boolean;
  now?: () => Date;
}

function renderValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@#!+-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * `secret` where it is not part of a longer word, file name or path: no letter, digit, `_`, `.`,
 * `-` or `/` right before or after it. Where secrets show up in text (`user:secret@host`,
 * `PASS secret`, `password="secret"`) they stand alone.
 */
function standingAlone(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w./-])${escaped}(?![\\w./-])`, 'g');
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  // Shared by every child, so a secret registered anywhere is masked everywhere. Each is masked
  // only where it stands alone: a password `wrongsasl` leaves `wrongsasl.yml` alone.
  const secrets = new Map<string, RegExp>();

  const mask = (line: string): string => {
    for (const secret of secrets.values()) line = line.replace(secret, '***');
    return line;
  };

  const make = (component: string | undefined): Logger => {
    const emit = (level: LogLevel, message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const parts = [message];
      if (component) parts.push(`component=${component}`);
      // A multi-line value (a reload's config errors) follows on lines of its own, never as a literal \n.
      const continued: string[] = [];
      for (const [key, value] of Object.entries(fields ?? {})) {
        if (value === undefined) continue;
        if (typeof value === 'string' && /[\r\n]/.test(value.trim())) {
          const lines = value.trim().split(/\r?\n|\r/);
          parts.push(`${key}=(${lines.length} lines below)`);
          continued.push(...lines.map((line) => `  ${key}: ${line}`));
        } else {
          parts.push(`${key}=${renderValue(value)}`);
        }
      }
      for (const line of [parts.join(' ').replace(/[\r\n]+/g, ' '), ...continued]) {
        const masked = mask(line);
        write(journald ? `<${SYSLOG_PRIORITY[level]}>${masked}` : `${now().toISOString()} ${level.toUpperCase()} ${masked}`);
      }
    };
    return {
      enabled: (level) => LOG_LEVELS.indexOf(level) >= threshold,
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (name) => make(component ? `${component}.${name}` : name),
      addSecret: (secret) => {
        // Very short values would mask unrelated text; nobody uses a 3-character password.
        if (secret && secret.length >= 4 && !secrets.has(secret)) secrets.set(secret, standingAlone(secret));
      },
    };
  };
  return make(undefined);
}

/** Collects lines in memory: for tests, and for anything that wants to assert on what was logged. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, journald: false, write: (line) => lines.push(line), now: () => new Date(0) });
  return Object.assign(logger, { lines });
}
