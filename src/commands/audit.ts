/**
 * The audit trail: every command is logged, and appended as one JSON line to the audit file when
 * one is configured. The file is opened in append mode, so it survives restarts and reloads, and
 * written synchronously: commands are few (rate-limited), and lines must never interleave.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

export interface AuditEntry {
  /** The chat backend, e.g. `irc`. */
  backend: string;
  /** Where the command was written, e.g. `irc:#ops`. */
  destination: string;
  /** The identity the backend vouched for; null when it could not. */
  identity: string | null;
  /** What the sender is called in chat. */
  name: string;
  /** The command line as typed, after the prefix or the relay's name. */
  command: string;
  /** ok, not-found, conflict, forbidden, unreachable, invalid, denied, rate-limited, unknown-command, usage, too-long, error. */
  outcome: string;
  /** The first reply line: what the sender was told. */
  reply?: string;
}

export interface AuditOptions {
  /** The audit file; only the log when absent. */
  file?: string;
  logger: Logger;
  clock: Clock;
}

export class AuditLog {
  private descriptor: number | undefined;
  private failed = false;

  constructor(private readonly options: AuditOptions) {}

  /** Opens the audit file now, so that a path that cannot be written is reported at start-up. */
  open(): void {
    if (this.descriptor !== undefined || this.failed || this.options.file === undefined) return;
    try {
      this.descriptor = openSync(this.options.file, 'a', 0o640);
    } catch (error) {
      // Commands keep working: the log still has every one of them.
      this.failed = true;
      this.options.logger.error('cannot open the audit file; commands are audited in the log only', { file: this.options.file, error });
    }
  }

  record(entry: AuditEntry): void {
    const time = new Date(this.options.clock.now()).toISOString();
    const { reply, ...fields } = entry;
    this.options.logger.info('command', { ...fields, identity: entry.identity ?? undefined });
    this.open();
    if (this.descriptor === undefined) return;
    try {
      writeSync(this.descriptor, JSON.stringify({ time, ...entry }) + '\n');
    } catch (error) {
      this.options.logger.error('cannot write to the audit file', { file: this.options.file, error });
    }
  }

  close(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
  }
}
