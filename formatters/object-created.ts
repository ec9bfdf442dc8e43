import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { objectLine } from './common.js';

/** `Icinga2 object created: Downtime web01!http!abc-123`; runtime comments and downtimes count too. */
export const formatObjectCreated: Formatter = (event, context) =>
  objectLine(event, context, 'created') ?? formatGeneric(event, context);
