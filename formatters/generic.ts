import type { Formatter } from './types.js';
import { buildMessage, eventCheckable, eventTypeName, joinPresent, oneLine } from './common.js';

/**
 * For event types without a formatter of their own, and the fallback when one fails:
 * says only what any event may carry, the type and the checkable.
 */
export const formatGeneric: Formatter = (event, context) => {
  const target = eventCheckable(event);
  return buildMessage(event, context, {
    severity: 'info',
    target,
    line: { lead: joinPresent([`Icinga2 event ${oneLine(eventTypeName(event))}`, target?.object], ' for ') },
  });
};
