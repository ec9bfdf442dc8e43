/**
 * The audit trail: every command is logged, and appended as one JSON line to the audit file when
 * one is configured. The file is opened in append mode, so it survives restarts and reloads, and
 * written synchronously: commands are few (rate-limited), and lines must never interleave.
 *
 * It never stays broken: a file that cannot be opened is tried again with the next command, a
 * write that fails reopens the file and tries once more (the disk was full, the file was removed),
 * and reopen() (SIGHUP, after logrotate moved the file away) starts a new file by that name.
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
  /** The file failed (open or write) and has not worked since: reported once, not per command. */
  private failing = false;

  constructor(private readonly options: AuditOptions) {}

  /** Opens the audit file now, so that a path that cannot be written is reported at start-up. */
  open(): void {
    if (this.descriptor !== undefined || this.options.file === undefined) return;
    try {
      this.descriptor = openSync(this.options.file, 'a', 0o640);
    } catch (error) {
      // Commands keep working: the log still has every one of them.
      this.failed('cannot open the audit file; commands are audited in the log only until it can be', error);
    }
  }

  /** Closes the file and opens it again by its name: after logrotate moved it away (SIGHUP). */
  reopen(): void {
    this.close();
    this.open();
  }

  record(entry: AuditEntry): void {
    const time = new Date(this.options.clock.now()).toISOString();
    const { reply, ...fields } = entry;
    this.options.logger.info('command', { ...fields, identity: entry.identity ?? undefined });
    const line = JSON.stringify({ time, ...entry }) + '\n';
    // A failed write closes the file; the second attempt opens it anew.
    for (let attempt = 0; attempt < 2; attempt++) {
      this.open();
      if (this.descriptor === undefined) return;
      try {
        writeSync(this.descriptor, line);
      } catch (error) {
        this.close();
        if (attempt === 1) this.failed('cannot write to the audit file; commands are audited in the log only until it can be written', error);
        continue;
      }
      if (this.failing) this.options.logger.info('the audit file works again', { file: this.options.file });
      this.failing = false;
      return;
    }
  }

  close(): void {
    const descriptor = this.descriptor;
    this.descriptor = undefined;
    try {
      if (descriptor !== undefined) closeSync(descriptor);
    } catch {
      // Closing after a failed write may fail too; the descriptor is released either way.
    }
  }

  private failed(message: string, error: unknown): void {
    if (!this.failing) this.options.logger.error(message, { file: this.options.file, error });
    this.failing = true;
  }
}
