import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { buildMessage, readComment } from './common.js';

/** `alice commented on web01!http: moved to new rack`; comments Icinga2 adds itself name their kind. */
export const formatCommentAdded: Formatter = (event, context) => {
  const comment = readComment(event);
  if (comment === undefined) return formatGeneric(event, context);
  const kind = comment.kind ? ` (${comment.kind})` : '';
  return buildMessage(event, context, {
    severity: 'info',
    target: comment.target,
    line: {
      lead: `${comment.author ?? 'Someone'} commented on ${comment.target.object}${kind}`,
      detail: comment.text,
    },
    fields: comment.fields,
  });
};
