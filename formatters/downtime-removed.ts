import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { asNumber, asRecord, downtimeLine } from './common.js';

/** `Downtime removed for db01 (2 days, 1 hour, by dbadmin): ...`, or `ended` when it ran its course. */
export const formatDowntimeRemoved: Formatter = (event, context) => {
  const downtime = asRecord(event.downtime);
  const change = downtime !== undefined && hasRunOut(downtime) ? 'ended' : 'removed';
  return downtimeLine(event, context, change) ?? formatGeneric(event, context);
};

/**
 * Icinga2 sends DowntimeRemoved both when a downtime expires and when someone removes it, and
 * 2.13 says neither who nor why (no was_cancelled, no removed_by): the times tell them apart.
 * A triggered flexible downtime runs for `duration` from its trigger, any other until end_time.
 */
function hasRunOut(downtime: Record<string, unknown>): boolean {
  const removeTime = asNumber(downtime.remove_time);
  const triggerTime = asNumber(downtime.trigger_time);
  const duration = asNumber(downtime.duration);
  const plannedEnd =
    downtime.fixed === false && triggerTime && duration !== undefined
      ? triggerTime + duration
      : asNumber(downtime.end_time);
  return removeTime !== undefined && plannedEnd !== undefined && removeTime >= plannedEnd;
}
