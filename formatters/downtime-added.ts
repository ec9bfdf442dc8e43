import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { asNumber, attachedTo, buildMessage, downtimeKind, humanizeSpan, joinPresent, readDowntime } from './common.js';

// Downtimes set "from now" start a moment before the event; only a later start is news.
const NOTABLE_START_DELAY_SECONDS = 60;

/** `dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour because DB Tablespace Maintenance`. */
export const formatDowntimeAdded: Formatter = (event, context) => {
  const attached = attachedTo(event, 'downtime');
  if (attached === undefined) return formatGeneric(event, context);
  const { record, target } = attached;
  return buildMessage(event, context, {
    severity: 'info',
    target,
    body: () => {
      const downtime = readDowntime(record);
      const what = joinPresent([downtimeKind(downtime), 'downtime'], ' ');
      const lasting = downtime.duration ? ` lasting ${downtime.duration}` : '';
      const startsIn = startDelay(asNumber(event.timestamp), downtime.startTime);
      const scheduled = `${downtime.author ?? 'Someone'} scheduled ${what} for ${target.object}${lasting}`;
      return {
        line: { lead: startsIn ? `${scheduled} (starts in ${startsIn})` : scheduled, separator: ' because ', detail: downtime.comment },
        fields: { ...downtime.fields, starts_in: startsIn },
      };
    },
  });
};

function startDelay(timestamp: number | undefined, startTime: number | undefined): string | undefined {
  if (timestamp === undefined || startTime === undefined) return undefined;
  return startTime - timestamp >= NOTABLE_START_DELAY_SECONDS ? humanizeSpan(timestamp, startTime) : undefined;
}
