import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import {
  asBoolean,
  asNumber,
  buildMessage,
  currentStateName,
  eventCheckable,
  joinPresent,
  stateSeverity,
  stateTypeName,
} from './common.js';

/** `web01!http started flapping (CRITICAL, 42.5% state changes)` / `... stopped flapping (OK, ...)`. */
export const formatFlapping: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  const isFlapping = asBoolean(event.is_flapping);
  const state = currentStateName(event, target);
  return buildMessage(event, context, {
    // Flapping that starts is unrest whatever the state of the moment; when it stops, the state speaks.
    severity: isFlapping === true ? 'warning' : stateSeverity(state),
    target,
    state,
    stateType: stateTypeName(event.state_type),
    body: () => {
      // 2.13 sends flapping_current; the API docs call it current_flapping.
      const flappingCurrent = asNumber(event.flapping_current) ?? asNumber(event.current_flapping);
      const change =
        isFlapping === undefined ? 'changed flapping state' : isFlapping ? 'started flapping' : 'stopped flapping';
      const facts = joinPresent(
        [state, flappingCurrent === undefined ? undefined : `${roundToTenth(flappingCurrent)}% state changes`],
        ', ',
      );
      return {
        line: { lead: `${target.object} ${change}`, trail: facts ? ` (${facts})` : undefined },
        fields: {
          is_flapping: isFlapping,
          flapping_current: flappingCurrent,
          threshold_low: asNumber(event.threshold_low),
          threshold_high: asNumber(event.threshold_high),
        },
      };
    },
  });
};

function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
