import type { Formatter } from './types.js';
import { formatGeneric } from './generic.js';
import { commentMessage } from './common.js';

/** `Comment by alice removed from web01!http: moved to new rack`: Icinga2 does not say who removed it. */
export const formatCommentRemoved: Formatter = (event, context) =>
  commentMessage(event, context, (comment, target, kind) => `Comment${kind}${comment.author ? ` by ${comment.author}` : ''} removed from ${target.object}`) ??
  formatGeneric(event, context);
