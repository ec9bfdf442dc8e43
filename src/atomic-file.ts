/**
 * State files are rewritten whole: to a temporary file next to the target, then renamed over it,
 * so a crash (or SIGKILL) leaves the old contents or the new ones, never half of either.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

/** Throws what writing or renaming throws; the temporary file is per process, so two relays never share one. */
export function writeFileAtomically(file: string, text: string, mode = 0o600): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
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
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error(unreadable, { file, error });
    return undefined;
  }
}
