/**
 * State files are rewritten whole: to a temporary file next to the target, then renamed over it,
 * so a crash (or SIGKILL) leaves the old contents or the new ones, never half of either.
 */
import { renameSync, writeFileSync } from 'node:fs';

/** Throws what writing or renaming throws; the temporary file is per process, so two relays never share one. */
export function writeFileAtomically(file: string, text: string, mode = 0o600): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
}
