/**
 * A message as it goes out as part of problems: its text shows their references, `#42 CRITICAL
 * web01!http: ...` for a message about one object, `db01: 3 services CRITICAL: disk, load, swap
 * (#4 #5 #6)` for a summary (in the order it names them), so that people can name the problem
 * in a command on every backend. The message carries the steps for backends that do more with
 * them (Slack threads).
 */
import { truncate } from '../util/values.js';
import type { ProblemLink, RelayMessage } from '../message.js';
import type { ProblemStep } from './book.js';

export interface ReferenceOptions {
  /** format.width, which the text with its references still keeps to. */
  width: number;
  /** The object's page in Icinga Web, when configured. */
  url?: (object: string) => string;
  /** Who the routes ask to call in this destination on a new problem (route.mention). */
  mentions?: readonly string[];
  /** Records the chat message that opened a problem (ProblemBook.setRoot for this destination). */
  setRoot: (ref: number, rootId: string, rootText: string | undefined) => void;
}

export function referenced(message: RelayMessage, steps: readonly ProblemStep[], destination: string, options: ReferenceOptions): RelayMessage {
  const references = steps.map((step) => `#${step.problem.ref}`);
  const text = message.objects === undefined ? `${references[0]} ${message.text}` : `${message.text} (${references.join(' ')})`;
  return {
    eventType: message.eventType,
    severity: message.severity,
    host: message.host,
    service: message.service,
    text: truncate(text, options.width),
    timestamp: message.timestamp,
    state: message.state,
    stateType: message.stateType,
    notificationType: message.notificationType,
    notice: message.notice,
    objects: message.objects,
    // The first message of one new problem only: never an update, a recovery or a storm line.
    mentions: options.mentions?.length && message.objects === undefined && steps.length === 1 && steps[0].role === 'opened' ? options.mentions : undefined,
    fields: message.fields,
    problems: steps.map(({ problem, role }): ProblemLink => {
      const link: ProblemLink = { ref: problem.ref, object: problem.object, role, openedAt: problem.openedAt };
      const place = problem.places.get(destination);
      if (place?.rootId !== undefined) link.rootId = place.rootId;
      if (place?.rootText !== undefined) link.rootText = place.rootText;
      if (options.url) link.url = options.url(problem.object);
      if (role === 'opened') link.onRoot = (rootId, rootText) => options.setRoot(problem.ref, rootId, rootText);
      return link;
    }),
  };
}
