import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { attachedTo, buildMessage, readComment } from './common.js';

/** `Comment by alice removed from web01!http: moved to new rack`: Icinga2 does not say who removed it. */
export const formatCommentRemoved: Formatter = (event, context) => {
  const attached = attachedTo(event, 'comment');
  if (attached === undefined) return formatGeneric(event, context);
  const { record, target } = attached;
  return buildMessage(event, context, {
    severity: 'info',
    target,
    body: () => {
      const comment = readComment(record);
      const kind = comment.kind ? ` (${comment.kind})` : '';
      const author = comment.author ? ` by ${comment.author}` : '';
      return {
        line: { lead: `Comment${kind}${author} removed from ${target.object}`, detail: comment.text },
        fields: comment.fields,
      };
    },
  });
};
