import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { downtimeLine } from './common.js';

/** `Downtime started for web01!http (flexible, 2 hours, by alice): backup`. */
export const formatDowntimeStarted: Formatter = (event, context) =>
  downtimeLine(event, context, 'started') ?? formatGeneric(event, context);
