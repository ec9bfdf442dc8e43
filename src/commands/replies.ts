/** What every command's reply is built from. */
import type { Checkable } from '../icinga/checkables.js';
import type { ActionOutcome } from '../icinga/actions.js';
import type { CommandResult } from './types.js';

/** The result of an action: the reply built from its value, or the failure's own message. */
export function resultOf<T>(outcome: ActionOutcome<T>, reply: (value: T) => string | string[]): CommandResult {
  if (!outcome.ok) return { outcome: outcome.kind, lines: [outcome.message] };
  const lines = reply(outcome.value);
  return { outcome: 'ok', lines: typeof lines === 'string' ? [lines] : lines };
}

/** `host`, `host!service`, or `host and all its services` for `host!*`. */
export function describeTarget(target: Checkable, allServices = false): string {
  return allServices ? `${target.host} and all its services` : target.object;
}
