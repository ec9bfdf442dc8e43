import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { downtimeLine } from './common.js';

/** `Downtime triggered for web01!http (flexible, 2 hours, by alice): backup`. */
export const formatDowntimeTriggered: Formatter = (event, context) =>
  downtimeLine(event, context, 'triggered') ?? formatGeneric(event, context);
