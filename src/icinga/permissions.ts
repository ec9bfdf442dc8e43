/**
 * What `check-config --connect` asks Icinga2: whether the relay's credentials log in, and whether
 * the API user holds each permission the relay uses. `GET /v1` answers with the user's own
 * permission patterns; Icinga2 never says 403 for a missing one (it answers 404), so this is the
 * one way to name what is missing before a chat command fails.
 */
import { globMatcher } from '../glob.js';
import type { IcingaConnection } from './connection.js';
import { describeFailure, describeHttpFailure } from './errors.js';

export interface NeededPermission {
  permission: string;
  /** What the relay uses it for, for the admin reading the report. */
  why: string;
}

/** Every permission the relay uses, with the event types it subscribes to. */
export function relayPermissions(eventTypes: readonly string[]): NeededPermission[] {
  return [
    ...eventTypes.map((type) => ({ permission: `events/${type}`, why: 'the event stream' })),
    { permission: 'status/query', why: 'the liveness probe' },
    ...['Host', 'Service'].map((type) => ({ permission: `objects/query/${type}`, why: 'status and problems, the catch-up, routes by group or vars' })),
    ...['Comment', 'Downtime'].map((type) => ({ permission: `objects/query/${type}`, why: 'undowntime and the status of comments and downtimes' })),
    { permission: 'actions/acknowledge-problem', why: 'ack' },
    { permission: 'actions/remove-acknowledgement', why: 'unack' },
    { permission: 'actions/add-comment', why: 'comment' },
    { permission: 'actions/schedule-downtime', why: 'downtime' },
    { permission: 'actions/remove-downtime', why: 'undowntime' },
    { permission: 'actions/reschedule-check', why: 'recheck' },
  ];
}

export type PermissionReport =
  | { ok: true; user: string; version: string; missing: NeededPermission[] }
  | { ok: false; problem: string };

/** Logs in with the connection's credentials and compares the user's permissions with `needed`. */
export async function checkPermissions(connection: IcingaConnection, needed: readonly NeededPermission[]): Promise<PermissionReport> {
  let answer;
  try {
    answer = await connection.apiRequest('GET', '/v1');
  } catch (error) {
    return { ok: false, problem: describeFailure(error, connection.failureHints).message };
  }
  if (answer.status !== 200) return { ok: false, problem: describeHttpFailure(answer.status, answer.text, connection.failureHints).message };
  const info = (answer.body as { results?: { user?: string; version?: string; permissions?: unknown[] }[] } | undefined)?.results?.[0];
  if (!info || !Array.isArray(info.permissions)) return { ok: false, problem: `Icinga2's /v1 did not list the user's permissions: ${answer.text.slice(0, 200)}` };
  // Icinga2 matches a permission against each pattern the user holds, `*` spanning `/` too.
  const held = info.permissions.filter((pattern): pattern is string => typeof pattern === 'string').map((pattern) => globMatcher(pattern));
  return {
    ok: true,
    user: info.user ?? '?',
    version: info.version ?? '?',
    missing: needed.filter(({ permission }) => !held.some((matches) => matches(permission))),
  };
}
