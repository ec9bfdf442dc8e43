/**
 * One action, one line. What one action does in Icinga2 comes back as several events: an ack is
 * an AcknowledgementSet, the acknowledgement comment (CommentAdded) and ACKNOWLEDGEMENT
 * notifications; a downtime of `db01!*` is a DowntimeAdded, a DowntimeStarted, a comment and a
 * DOWNTIMESTART notification for the host and each service. To a person that is one thing, so:
 *
 * - an action taken from chat is answered once, by its reply: in the destination where it was
 *   typed, the events it causes (same object, or the host's services for `host!*`, same author)
 *   are not posted again, for FOLD_MS after the reply;
 * - an action taken elsewhere (Icinga Web, the API) shows as one line per object: the
 *   acknowledgement with its comment (AcknowledgementSet), the downtime when added
 *   (DowntimeAdded) and when it ends (DowntimeRemoved);
 * - what only echoes such a line is never posted on its own: the comments Icinga2 adds for
 *   acknowledgements and downtimes, ACKNOWLEDGEMENT notifications, DowntimeStarted/Triggered and
 *   DOWNTIMESTART/END/REMOVED notifications of a downtime the destination was shown (or that
 *   was set from chat there).
 *
 * Everything else goes on unchanged, state changes above all: this never holds an alert back.
 */
import type { Clock } from '../clock.js';
import type { RelayMessage } from '../message.js';

/** An action someone took from chat, as the dispatcher ran it. */
export interface ChatAction {
  /** Where it was typed, and so where its reply went. */
  destination: string;
  command: string;
  /** The Icinga2 author the action was taken as. */
  author: string;
  host: string;
  service?: string;
  /** `host!*`: the host and all its services. */
  allServices: boolean;
}

/** How long after a chat action its events are folded into its reply: Icinga2 delivers events in ~5 s ticks. */
export const FOLD_MS = 120_000;
/** How long a shown acknowledgement or downtime folds its echoes when the events do not say when it ends. */
const SHOWN_MS = 24 * 3_600_000;

/** The events each command causes. */
const CAUSED: Record<string, readonly string[]> = {
  ack: ['AcknowledgementSet'],
  unack: ['AcknowledgementCleared'],
  comment: ['CommentAdded'],
  downtime: ['DowntimeAdded', 'DowntimeStarted', 'DowntimeTriggered'],
  undowntime: ['DowntimeRemoved'],
};

const DOWNTIME_NOTIFICATIONS = new Set(['DOWNTIMESTART', 'DOWNTIMEEND', 'DOWNTIMEREMOVED']);

interface Expected extends ChatAction {
  until: number;
  /** `EventType object` of the events folded into it: an action causes each once, so a second one is someone's new action. */
  folded: Set<string>;
}

export class ActionEchoes {
  private expected: Expected[] = [];
  /** Destination → object → until when its acknowledgement or downtime counts as shown there. */
  private readonly shownAcknowledgements = new Map<string, Map<string, number>>();
  private readonly shownDowntimes = new Map<string, Map<string, number>>();

  constructor(private readonly clock: Clock) {}

  /** A chat action is about to run: its events are folded into its reply. Answers what withdraws that, should it fail. */
  expect(action: ChatAction): () => void {
    const now = this.clock.now();
    this.expected = this.expected.filter((other) => other.until > now);
    const expected: Expected = { ...action, until: now + FOLD_MS, folded: new Set() };
    this.expected.push(expected);
    // Icinga2 may send the ACKNOWLEDGEMENT notification before the AcknowledgementSet.
    if (action.command === 'ack') this.mark(this.shownAcknowledgements, action.destination, objectName(action), now + SHOWN_MS);
    return () => {
      this.expected = this.expected.filter((other) => other !== expected);
    };
  }

  /** Whether `message` is not to be posted to `destination` on its own: it echoes what was said there. */
  folds(destination: string, message: RelayMessage): boolean {
    const { eventType, host } = message;
    if (host === undefined || eventType === 'StateChange' || eventType === 'CheckResult') return false;
    const object = message.service === undefined ? host : `${host}!${message.service}`;
    const now = this.clock.now();
    switch (eventType) {
      case 'Notification':
        if (message.notificationType === 'ACKNOWLEDGEMENT') return this.isShown(this.shownAcknowledgements, destination, object, now);
        return DOWNTIME_NOTIFICATIONS.has(message.notificationType ?? '') && this.isShown(this.shownDowntimes, destination, object, now);
      case 'CommentAdded':
      case 'CommentRemoved': {
        const kind = message.fields.entry_type;
        if (kind === 'acknowledgement' || kind === 'downtime') return true;
        return this.causedFromChat(destination, message, now);
      }
      case 'AcknowledgementSet':
        // From chat or not, its ACKNOWLEDGEMENT notifications echo it.
        this.mark(this.shownAcknowledgements, destination, object, now + SHOWN_MS);
        return this.causedFromChat(destination, message, now);
      case 'DowntimeAdded': {
        const end = message.fields.end_time;
        this.mark(this.shownDowntimes, destination, object, typeof end === 'number' && end * 1000 > now ? end * 1000 + FOLD_MS : now + SHOWN_MS);
        return this.causedFromChat(destination, message, now);
      }
      case 'DowntimeStarted':
      case 'DowntimeTriggered':
        return this.isShown(this.shownDowntimes, destination, object, now) || this.causedFromChat(destination, message, now);
      case 'AcknowledgementCleared':
      case 'DowntimeRemoved':
        return this.causedFromChat(destination, message, now);
      default:
        return false;
    }
  }

  private causedFromChat(destination: string, message: RelayMessage, now: number): boolean {
    const author = message.fields.author;
    const key = `${message.eventType} ${message.host}!${message.service ?? ''}`;
    const action = this.expected.find(
      (candidate) =>
        candidate.until > now &&
        candidate.destination === destination &&
        !candidate.folded.has(key) &&
        (CAUSED[candidate.command]?.includes(message.eventType) ?? false) &&
        // Removals carry no author; the rest must be the relay's own.
        (author === undefined || author === candidate.author) &&
        covers(candidate, message.host!, message.service),
    );
    action?.folded.add(key);
    return action !== undefined;
  }

  private mark(shown: Map<string, Map<string, number>>, destination: string, object: string, until: number): void {
    let objects = shown.get(destination);
    if (!objects) shown.set(destination, (objects = new Map()));
    objects.set(object, Math.max(until, objects.get(object) ?? 0));
    // Bounded by the objects Icinga2 has; ended ones go when the map is read past them.
  }

  private isShown(shown: Map<string, Map<string, number>>, destination: string, object: string, now: number): boolean {
    const objects = shown.get(destination);
    const until = objects?.get(object);
    if (until === undefined) return false;
    if (until > now) return true;
    objects!.delete(object);
    return false;
  }
}

function objectName(action: ChatAction): string {
  return action.service === undefined ? action.host : `${action.host}!${action.service}`;
}

/** Whether the action was about the object: the same one, or a service of the host for `host!*` (and a host's undowntime, which takes its services' along). */
function covers(action: ChatAction, host: string, service: string | undefined): boolean {
  if (action.host !== host) return false;
  if (action.service !== undefined) return action.service === service;
  return service === undefined || action.allServices || action.command === 'undowntime';
}
