import type { Severity } from '../src/message.js';
import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import {
  checkOutput,
  asLine,
  asLineList,
  buildMessage,
  currentStateName,
  eventCheckable,
  joinPresent,
  stateSeverity,
} from './common.js';

/**
 * What Icinga2 notified and whom: `[PROBLEM] web01!http is CRITICAL: connection refused (notified oncall)`.
 * Acknowledgement, custom and downtime notifications carry an author and text, which say more
 * than the plugin output.
 */
export const formatNotification: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  const notificationType = asLine(event.notification_type);
  const state = currentStateName(event, target);
  const author = asLine(event.author);
  const comment = asLine(event.text);
  const notice = joinPresent([author, comment], ': ') || undefined;
  return buildMessage(event, context, {
    severity: notificationSeverity(notificationType, state),
    target,
    state,
    notificationType,
    notice,
    body: () => {
      const output = checkOutput(event.check_result);
      const users = asLineList(event.users).join(', ');
      return {
        line: {
          lead: joinPresent([notificationType && `[${notificationType}]`, target.object, state && `is ${state}`], ' '),
          detail: comment !== undefined ? notice : output,
          trail: users ? ` (notified ${users})` : undefined,
        },
        fields: { output, author, comment, users: users || undefined },
      };
    },
  });
};

function notificationSeverity(notificationType: string | undefined, state: string | undefined): Severity {
  if (notificationType === 'RECOVERY') return 'ok';
  if (notificationType === 'PROBLEM') return stateSeverity(state);
  return 'info';
}
