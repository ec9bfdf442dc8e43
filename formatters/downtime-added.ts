import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { asNumber, buildMessage, downtimeKind, humanizeSpan, joinPresent, readDowntime } from './common.js';

// Downtimes set "from now" start a moment before the event; only a later start is news.
const NOTABLE_START_DELAY_SECONDS = 60;

/** `dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour because DB Tablespace Maintenance`. */
export const formatDowntimeAdded: Formatter = (event, context) => {
  const downtime = readDowntime(event);
  if (downtime === undefined) return formatGeneric(event, context);
  const what = joinPresent([downtimeKind(downtime), 'downtime'], ' ');
  const lasting = downtime.duration ? ` lasting ${downtime.duration}` : '';
  const startsIn = startDelay(asNumber(event.timestamp), downtime.startTime);
  const scheduled = `${downtime.author ?? 'Someone'} scheduled ${what} for ${downtime.target.object}${lasting}`;
  const facts = startsIn ? `${scheduled} (starts in ${startsIn})` : scheduled;
  return buildMessage(event, context, {
    severity: 'info',
    target: downtime.target,
    line: { lead: facts, separator: ' because ', detail: downtime.comment },
    fields: { ...downtime.fields, starts_in: startsIn },
  });
};

function startDelay(timestamp: number | undefined, startTime: number | undefined): string | undefined {
  if (timestamp === undefined || startTime === undefined) return undefined;
  return startTime - timestamp >= NOTABLE_START_DELAY_SECONDS ? humanizeSpan(timestamp, startTime) : undefined;
}
