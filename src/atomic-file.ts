/**
 * State files are rewritten whole: to a temporary file next to the target, then renamed over it,
 * so a crash (or SIGKILL) leaves the old contents or the new ones, never half of either. The data
 * is flushed to disk (fsync) before the rename and the directory after it: without the first, a
 * power cut can leave the new name on an empty file (ext4, XFS); without the second, the old one.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

/** The file system calls used: node:fs, or a test's recording of them. */
export type AtomicWriteIo = Pick<typeof fs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>;
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

/** Throws what writing or renaming throws; the temporary file is per process, so two relays never share one. */
export function writeFileAtomically(file: string, text: string, mode = 0o600, io: AtomicWriteIo = fs): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const descriptor = io.openSync(temporary, 'w', mode);
    try {
      io.writeSync(descriptor, text);
      io.fsyncSync(descriptor);
    } finally {
      io.closeSync(descriptor);
    }
    io.renameSync(temporary, file);
  } catch (error) {
    io.rmSync(temporary, { force: true });
    throw error;
  }
  const directory = io.openSync(dirname(file), 'r');
  try {
    io.fsyncSync(directory);
  } finally {
    io.closeSync(directory);
  }
}

/**
 * A state file written a moment after a change, so that a burst of changes is one write:
 * `changed()` schedules the write unless one is pending; `flush()` writes a pending one now.
 */
export class DelayedSave {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly save: () => void,
  ) {}

  changed(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, this.delayMs);
  }

  flush(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.save();
  }
}

/** A state file's text; undefined when there is none yet, or when it cannot be read (logged as `unreadable`, with the error). */
export function readStateFile(file: string, logger: Logger, unreadable: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error(unreadable, { file, error });
    return undefined;
  }
}
