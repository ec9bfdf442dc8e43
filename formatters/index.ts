/**
 * The formatter registry: one formatter per Icinga2 event type, each in its own file.
 * Adding a type means adding its file and one line below.
 *
 * Fields (`RelayMessage.fields`, for templates and routing). Absent facts are left out;
 * strings are one line, durations humanized ("2 days, 1 hour"), times in seconds since the epoch.
 *   every event      type, and when it names a checkable: host, service (services only),
 *                    object (`host` or `host!service`)
 *   with a state     state (UP/DOWN/OK/WARNING/CRITICAL/UNKNOWN), state_type (SOFT/HARD)
 *   CheckResult      output (first line), check_source
 *   StateChange      output (first line), previous_state, duration (how long the previous state lasted)
 *   Notification     notification_type, output (first line), author, comment (the notification text),
 *                    users (comma-joined)
 *   Flapping         is_flapping, flapping_current (percent), threshold_low, threshold_high
 *   AcknowledgementSet author, comment, acknowledgement_type (normal/sticky), expiry (when set),
 *                    expires_in, notify
 *   Comment*         author, comment, entry_type (user/downtime/flapping/acknowledgement), comment_name
 *   Downtime*        author, comment, duration (planned length), fixed, start_time, end_time,
 *                    parent (child downtimes only), downtime_name; DowntimeAdded also starts_in
 *   Object*          object_type, object_name (and host/service/object for Host and Service objects)
 *   fallback         format_error, when a formatter failed and the generic line stands in
 */
import type { EventType, IcingaEvent } from '../src/icinga/event-types.js';
import type { RelayMessage } from '../src/message.js';
import type { FormatContext, Formatter } from './types.js';
import { formatAcknowledgementCleared } from './acknowledgement-cleared.js';
import { formatAcknowledgementSet } from './acknowledgement-set.js';
import { formatCheckResult } from './check-result.js';
import { formatCommentAdded } from './comment-added.js';
import { formatCommentRemoved } from './comment-removed.js';
import { formatDowntimeAdded } from './downtime-added.js';
import { formatDowntimeRemoved } from './downtime-removed.js';
import { formatDowntimeStarted } from './downtime-started.js';
import { formatDowntimeTriggered } from './downtime-triggered.js';
import { formatFlapping } from './flapping.js';
import { failureText } from './common.js';
import { formatGeneric } from './generic.js';
import { formatNotification } from './notification.js';
import { formatObjectCreated } from './object-created.js';
import { formatObjectDeleted } from './object-deleted.js';
import { formatObjectModified } from './object-modified.js';
import { formatStateChange } from './state-change.js';

/**
 * By event type. A Map rather than an object: JSON.parse does not intern the type strings it
 * makes, and looking one up as a property key cost about 90 ns more per event than Map.get.
 */
export type FormatterRegistry = ReadonlyMap<string, Formatter>;

/** Typed by EventType, so a type added to EVENT_TYPES without a formatter fails to compile. */
export const FORMATTERS: Readonly<Record<EventType, Formatter>> = {
  CheckResult: formatCheckResult,
  StateChange: formatStateChange,
  Notification: formatNotification,
  Flapping: formatFlapping,
  AcknowledgementSet: formatAcknowledgementSet,
  AcknowledgementCleared: formatAcknowledgementCleared,
  CommentAdded: formatCommentAdded,
  CommentRemoved: formatCommentRemoved,
  DowntimeAdded: formatDowntimeAdded,
  DowntimeRemoved: formatDowntimeRemoved,
  DowntimeStarted: formatDowntimeStarted,
  DowntimeTriggered: formatDowntimeTriggered,
  ObjectCreated: formatObjectCreated,
  ObjectModified: formatObjectModified,
  ObjectDeleted: formatObjectDeleted,
};

const REGISTRY: FormatterRegistry = new Map(Object.entries(FORMATTERS));

/**
 * Formats any event into one message. Unknown types get the generic line, and so does an event
 * whose formatter throws: a bug there must cost the event's detail, not the event.
 */
export function formatEvent(
  event: IcingaEvent,
  context: FormatContext,
  registry: FormatterRegistry = REGISTRY,
): RelayMessage {
  const formatter = registry.get(event.type) ?? formatGeneric;
  try {
    return formatter(event, context);
  } catch (error) {
    const fallback = formatGeneric(event, context);
    fallback.fields.format_error = failureText(error);
    return fallback;
  }
}
