import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { asNumber, attachedMessage, downtimeKind, humanizeSpan, joinPresent, readDowntime } from './common.js';

// Downtimes set "from now" start a moment before the event; only a later start is news.
const NOTABLE_START_DELAY_SECONDS = 60;

/** `dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour because DB Tablespace Maintenance`. */
export const formatDowntimeAdded: Formatter = (event, context) =>
  attachedMessage(event, context, 'downtime', (record, target) => {
    const downtime = readDowntime(record);
    const what = joinPresent([downtimeKind(downtime), 'downtime'], ' ');
    const lasting = downtime.duration ? ` lasting ${downtime.duration}` : '';
    const startsIn = startDelay(asNumber(event.timestamp), downtime.startTime);
    const scheduled = `${downtime.author ?? 'Someone'} scheduled ${what} for ${target.object}${lasting}`;
    return {
      line: { lead: startsIn ? `${scheduled} (starts in ${startsIn})` : scheduled, separator: ' because ', detail: downtime.comment },
      fields: { ...downtime.fields, starts_in: startsIn },
    };
  }) ?? formatGeneric(event, context);

function startDelay(timestamp: number | undefined, startTime: number | undefined): string | undefined {
  if (timestamp === undefined || startTime === undefined) return undefined;
  return startTime - timestamp >= NOTABLE_START_DELAY_SECONDS ? humanizeSpan(timestamp, startTime) : undefined;
}
