import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import {
  checkOutput,
  asNumber,
  asRecord,
  buildMessage,
  currentStateName,
  eventCheckable,
  humanizeSpan,
  joinPresent,
  serviceScaleStateName,
  stateSeverity,
  stateTypeName,
  type StateType,
} from './common.js';

/**
 * What changed and why: `CRITICAL web01!http: connection refused (was OK for 2 hours, 3 minutes)`.
 * Soft changes say so, because Icinga2 sends one for every soft attempt.
 */
export const formatStateChange: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  const checkResult = asRecord(event.check_result);
  const state = currentStateName(event, target);
  const stateType = stateTypeName(event.state_type);
  return buildMessage(event, context, {
    severity: stateSeverity(state),
    target,
    state,
    stateType,
    body: () => {
      const previousState = stateBefore(checkResult, stateType, target.service === undefined, state);
      const previousDuration = humanizeSpan(context.previousStateSince, asNumber(event.timestamp));
      const output = checkOutput(checkResult);
      const stateLabel = joinPresent([state ?? 'State change', stateType === 'SOFT' ? '(soft)' : undefined], ' ');
      return {
        line: {
          lead: `${stateLabel} ${target.object}`,
          detail: output,
          trail: previousStateNote(previousState, previousDuration),
        },
        fields: { output, previous_state: previousState, duration: previousDuration },
      };
    },
  });
};

/**
 * The state this change left, when it differs from the new one. For a HARD change that is the
 * previous hard state: after SOFT WARNING -> HARD WARNING, vars_before says WARNING but the
 * news is "was OK". previous_hard_state is 99 while pending and, as recorded, on some soft changes.
 * Both fields use the service scale, hosts included.
 */
function stateBefore(
  checkResult: Record<string, unknown> | undefined,
  stateType: StateType | undefined,
  isHost: boolean,
  state: string | undefined,
): string | undefined {
  const candidates = [
    stateType === 'HARD' ? checkResult?.previous_hard_state : undefined,
    asRecord(checkResult?.vars_before)?.state,
  ];
  return candidates.map((candidate) => serviceScaleStateName(candidate, isHost)).find(
    (name) => name !== undefined && name !== state,
  );
}

function previousStateNote(previousState: string | undefined, duration: string | undefined): string | undefined {
  if (previousState !== undefined && duration !== undefined) return ` (was ${previousState} for ${duration})`;
  if (previousState !== undefined) return ` (was ${previousState})`;
  if (duration !== undefined) return ` (previous state lasted ${duration})`;
  return undefined;
}
