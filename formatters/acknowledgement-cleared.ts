import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { buildMessage, currentStateName, eventCheckable, stateTypeName } from './common.js';

/** `Acknowledgement cleared for web01!http (now OK)`: Icinga2 does not say who cleared it. */
export const formatAcknowledgementCleared: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  const state = currentStateName(event, target);
  return buildMessage(event, context, {
    severity: 'info',
    target,
    state,
    stateType: stateTypeName(event.state_type),
    body: () => ({ line: { lead: `Acknowledgement cleared for ${target.object}`, trail: state && ` (now ${state})` } }),
  });
};
