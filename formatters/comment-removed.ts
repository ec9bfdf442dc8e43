import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { buildMessage, readComment } from './common.js';

/** `Comment by alice removed from web01!http: moved to new rack`: Icinga2 does not say who removed it. */
export const formatCommentRemoved: Formatter = (event, context) => {
  const comment = readComment(event);
  if (comment === undefined) return formatGeneric(event, context);
  const kind = comment.kind ? ` (${comment.kind})` : '';
  const author = comment.author ? ` by ${comment.author}` : '';
  return buildMessage(event, context, {
    severity: 'info',
    target: comment.target,
    line: { lead: `Comment${kind}${author} removed from ${comment.target.object}`, detail: comment.text },
    fields: comment.fields,
  });
};
