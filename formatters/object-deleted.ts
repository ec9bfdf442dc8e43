import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { objectLine } from './common.js';

/** `Icinga2 object deleted: Comment web01!c0ffee`. */
export const formatObjectDeleted: Formatter = (event, context) =>
  objectLine(event, context, 'deleted') ?? formatGeneric(event, context);
