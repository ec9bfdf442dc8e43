import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { objectLine } from './common.js';

/** `Icinga2 object modified: Service web01!http`; only edits through the API send this. */
export const formatObjectModified: Formatter = (event, context) =>
  objectLine(event, context, 'modified') ?? formatGeneric(event, context);
