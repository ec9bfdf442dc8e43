/**
 * What the relay told people it did in Icinga2 in the last RECENT_ACTIONS_MS, checked again after
 * the event stream reconnects (it does after every reload). Measured on 2.13: actions answered OK
 * around a reload can be gone afterwards (69 of 296 in a tight loop; one to three of six chat
 * comments). What is missing is applied again and the person told, so nobody keeps a "done" that
 * Icinga2 does not have.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

export const RECENT_ACTIONS_MS = 30_000;

/** Why a check or a re-apply did not work, for the person (see ActionFailure in actions.ts). */
export interface Failed {
  ok: false;
  message: string;
  /** 'conflict': Icinga2 says it is not needed any more (the problem recovered). */
  kind?: string;
}

export interface RecentAction {
  /** What kind of thing it made, and on which object: the relay's own removals forget it. */
  kind: 'acknowledgement' | 'comment' | 'downtime';
  object: string;
  /** What was done, as the person would say it: `the comment on web01!http`. */
  what: string;
  /** The verb for doing it again: `added it again`. */
  again: string;
  /** Clock milliseconds when it was reported done. */
  doneAt: number;
  /** Whether Icinga2 has it now (looked up by exact names, no filter). */
  present(): Promise<boolean | Failed>;
  /** Does it again; a success remembers the new one. */
  reapply(): Promise<{ ok: true } | Failed>;
  /** Tells whoever asked for it. */
  tell(text: string): void;
}

export class RecentActions {
  private entries: RecentAction[] = [];
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly logger?: Logger,
    private readonly windowMs = RECENT_ACTIONS_MS,
  ) {}

  add(entry: RecentAction): void {
    this.entries.push(entry);
  }

  /** Forgets those the relay itself removed since (unack, undowntime): they are meant to be gone. */
  forget(matches: (entry: RecentAction) => boolean): void {
    this.entries = this.entries.filter((entry) => !matches(entry));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Checks every recent action, one after the other; a second call waits for the first. */
  verify(): Promise<void> {
    this.running = this.running.then(() => this.verifyAll());
    return this.running;
  }

  private async verifyAll(): Promise<void> {
    const since = this.clock.now() - this.windowMs;
    this.entries = this.entries.filter((entry) => entry.doneAt >= since);
    for (const entry of [...this.entries]) {
      let present: boolean | Failed;
      try {
        present = await entry.present();
      } catch (error) {
        present = { ok: false, message: (error as Error).message };
      }
      if (present === true) continue;
      this.entries = this.entries.filter((other) => other !== entry);
      if (present !== false) {
        this.logger?.warn('cannot check an action after Icinga2 reconnected', { action: entry.what, error: present.message });
        entry.tell(`Icinga2 reloaded; the relay could not check that it still has ${entry.what}: ${present.message}`);
        continue;
      }
      const outcome = await entry.reapply().catch((error: unknown): Failed => ({ ok: false, message: (error as Error).message }));
      this.logger?.warn('an action was lost in an Icinga2 reload', { action: entry.what, reapplied: outcome.ok, ...(!outcome.ok && { error: outcome.message }) });
      let text = `Icinga2 lost ${entry.what} in a reload; the relay ${entry.again}`;
      if (!outcome.ok) {
        text =
          outcome.kind === 'conflict'
            ? `Icinga2 no longer has ${entry.what} after a reload, and it is not needed now: ${outcome.message}`
            : `Icinga2 lost ${entry.what} in a reload, and doing it again failed: ${outcome.message}`;
      }
      entry.tell(text);
    }
  }
}
