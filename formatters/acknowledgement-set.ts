import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import {
  asBoolean,
  asLine,
  asNumber,
  buildMessage,
  currentStateName,
  eventCheckable,
  humanizeSpan,
  joinPresent,
  stateTypeName,
} from './common.js';

const ACKNOWLEDGEMENT_TYPES: Record<number, string> = { 1: 'normal', 2: 'sticky' };

/** `alice acknowledged web01!http (sticky, expires in 2 hours): looking into it`. */
export const formatAcknowledgementSet: Formatter = (event, context) => {
  const target = eventCheckable(event);
  if (target === undefined) return formatGeneric(event, context);
  return buildMessage(event, context, {
    severity: 'info',
    target,
    state: currentStateName(event, target),
    stateType: stateTypeName(event.state_type),
    body: () => {
      const author = asLine(event.author);
      const comment = asLine(event.comment);
      const acknowledgementType = ACKNOWLEDGEMENT_TYPES[asNumber(event.acknowledgement_type) ?? 0];
      // expiry is a point in time, 0 for none; the reader wants how long from now.
      const expiry = asNumber(event.expiry);
      const timestamp = asNumber(event.timestamp);
      const expiresIn = expiry && timestamp ? humanizeSpan(timestamp, expiry) : undefined;
      const notify = asBoolean(event.notify);
      const options = joinPresent(
        [
          acknowledgementType === 'sticky' ? 'sticky' : undefined,
          expiresIn && `expires in ${expiresIn}`,
          notify === false ? 'no notification' : undefined,
        ],
        ', ',
      );
      return {
        line: {
          lead: `${author ?? 'Someone'} acknowledged ${target.object}${options ? ` (${options})` : ''}`,
          detail: comment,
        },
        fields: {
          author,
          comment,
          acknowledgement_type: acknowledgementType,
          expiry: expiry || undefined,
          expires_in: expiresIn,
          notify,
        },
      };
    },
  });
};
