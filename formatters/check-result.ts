import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import {
  checkOutput,
  asLine,
  asRecord,
  buildMessage,
  currentStateName,
  eventCheckable,
  stateSeverity,
  stateTypeName,
} from './common.js';

/** Every check's result (a firehose, off by default): `web01!http checked CRITICAL: connection refused`. */
export const formatCheckResult: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  const checkResult = asRecord(event.check_result);
  const state = currentStateName(event, target);
  return buildMessage(event, context, {
    severity: stateSeverity(state),
    target,
    state,
    // CheckResult has no top-level state_type; the result records the one it led to.
    stateType: stateTypeName(asRecord(checkResult?.vars_after)?.state_type),
    body: () => {
      const output = checkOutput(checkResult);
      return {
        line: { lead: `${target.object} checked ${state ?? 'with unknown state'}`, detail: output },
        fields: { output, check_source: asLine(checkResult?.check_source) },
      };
    },
  });
};
