import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { attachedTo, buildMessage, readComment } from './common.js';

/** `alice commented on web01!http: moved to new rack`; comments Icinga2 adds itself name their kind. */
export const formatCommentAdded: Formatter = (event, context) => {
  const attached = attachedTo(event, 'comment');
  if (attached === undefined) return formatGeneric(event, context);
  const { record, target } = attached;
  return buildMessage(event, context, {
    severity: 'info',
    target,
    body: () => {
      const comment = readComment(record);
      const kind = comment.kind ? ` (${comment.kind})` : '';
      return {
        line: { lead: `${comment.author ?? 'Someone'} commented on ${target.object}${kind}`, detail: comment.text },
        fields: comment.fields,
      };
    },
  });
};
