import type { Formatter } from './types.js';
import { buildMessage, eventCheckable, eventTypeName, genericLine } from './common.js';

/**
 * For event types without a formatter of their own, and the fallback when one fails:
 * says only what any event may carry, the type and the checkable.
 */
export const formatGeneric: Formatter = (event, context) => {
  const target = eventCheckable(event);
  return buildMessage(event, context, {
    severity: 'info',
    target,
    body: () => ({ line: genericLine(eventTypeName(event), target) }),
  });
};
