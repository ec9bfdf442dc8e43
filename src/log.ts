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

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  // Shared by every child, so a secret registered anywhere is masked everywhere.
  const secrets = new Set<string>();

  const make = (component: string | undefined): Logger => {
    const emit = (level: LogLevel, message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const parts = [message];
      if (component) parts.push(`component=${component}`);
      for (const [key, value] of Object.entries(fields ?? {})) {
        if (value !== undefined) parts.push(`${key}=${renderValue(value)}`);
      }
      let line = parts.join(' ').replace(/[\r\n]+/g, ' ');
      for (const secret of secrets) line = line.split(secret).join('***');
      write(journald ? `<${SYSLOG_PRIORITY[level]}>${line}` : `${now().toISOString()} ${level.toUpperCase()} ${line}`);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (name) => make(component ? `${component}.${name}` : name),
      addSecret: (secret) => {
        // Very short values would mask unrelated text; nobody uses a 3-character password.
        if (secret && secret.length >= 4) secrets.add(secret);
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
