import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { commentMessage } from './common.js';

/** `alice commented on web01!http: moved to new rack`; comments Icinga2 adds itself name their kind. */
export const formatCommentAdded: Formatter = (event, context) =>
  commentMessage(event, context, (comment, target, kind) => `${comment.author ?? 'Someone'} commented on ${target.object}${kind}`) ??
  formatGeneric(event, context);
