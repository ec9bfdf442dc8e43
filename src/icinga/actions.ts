/**
 * Icinga2 actions and queries for the chat commands, each answer turned into a typed outcome
 * whose message can go to chat as it is. Facts measured on Icinga2 2.13 (shared/icinga2-notes.md):
 *
 * - A filter string built from chat text is an injection hole (`nohost" || true || "` commented
 *   on every host). Requests name their target with the exact-name parameters (`host`,
 *   `service: "h!s"`, `downtime`); queries use constant filters whose values go in `filter_vars`.
 * - A request with a type but no name or filter applies to every object of that type
 *   (`remove-downtime` with only `type: "Downtime"` removed every downtime), so no request goes
 *   out without a non-empty name: `targetParameters` and `removeDowntime` refuse empty ones.
 * - Icinga2 answers 404 "No objects found." both for an unknown object and for an action the API
 *   user lacks the permission for; querying the object tells the two apart.
 * - The overall HTTP status is derived from the per-object results: `results[].code` is read.
 * - Object queries are GET requests with a JSON body: Icinga2 reads it like the documented
 *   `X-HTTP-Method-Override: GET` form (measured), and filters never travel in a query string.
 * - A request with a `filter` needs the permission `filter-expression` where Icinga2 enforces it
 *   (2.14.9, 2.15.4, 2.16.2 with ApiListener.enforce_filter_expression_permission; always from
 *   2.17), else 403: exact names are used wherever they do the job; the filters left are listed
 *   in the README (Icinga2 API user).
 * - While Icinga2 reloads, requests are sent again (src/icinga/reload-retry.ts), and what was
 *   reported done is checked again after the reload (src/icinga/recent-actions.ts).
 */
import { serviceScaleStateName, stateTypeName, type Checkable, type StateType } from './checkables.js';
import { asNumber, asRecord, asText, firstLine, oneLine } from '../util/values.js';
import { systemClock, type Clock, type Random } from '../clock.js';
import { closestMatch } from '../util/closest-match.js';
import { patternMatcher } from '../glob.js';
import type { Logger } from '../log.js';
import type { ApiResponse, IcingaConnection } from './connection.js';
import { bodyExcerpt, describeFailure, describeHttpFailure } from './errors.js';
import { RecentActions, type RecentAction } from './recent-actions.js';
import { REFUSED_RETRY_MS, RELOAD_RETRY_MS, retryDuringReload, type Attempt } from './reload-retry.js';

export type FailureKind = 'not-found' | 'conflict' | 'forbidden' | 'unreachable' | 'invalid';

/** Why an action did not happen; `message` is written for the person who asked, in chat. */
export interface ActionFailure {
  ok: false;
  kind: FailureKind;
  message: string;
}

export type ActionOutcome<T> = { ok: true; value: T } | ActionFailure;

/** A host, or a service as `host!service`: the names Icinga2 uses, which cannot contain `!`. */
export function checkable(host: string, service?: string): Checkable {
  return service === undefined ? { host, object: host } : { host, service, object: `${host}!${service}` };
}

function failure(kind: FailureKind, message: string): ActionFailure {
  return { ok: false, kind, message };
}

function ok<T>(value: T): ActionOutcome<T> {
  return { ok: true, value };
}

function isFailure(value: unknown): value is ActionFailure {
  return asRecord(value)?.ok === false;
}

function kindOf(target: Checkable): 'host' | 'service' {
  return target.service === undefined ? 'host' : 'service';
}

/** The exact-name parameters that address one host or service; never empty (see the top of this file). */
export function targetParameters(target: Checkable): Record<string, string> {
  if (target.host === '' || target.service === '') throw new Error(`refusing an Icinga2 request without a target name: ${JSON.stringify(target)}`);
  return target.service === undefined ? { type: 'Host', host: target.host } : { type: 'Service', service: target.object };
}

interface Result {
  code?: number;
  status: string;
  record: Record<string, unknown>;
}

function resultsOf(body: unknown): Result[] {
  const results = asRecord(body)?.results;
  if (!Array.isArray(results)) return [];
  return results.map((item) => {
    const record = asRecord(item) ?? {};
    return { code: asNumber(record.code), status: oneLine(asText(record.status) ?? ''), record };
  });
}

function succeeded(code: number | undefined): boolean {
  return code !== undefined && code >= 200 && code < 300;
}

/** One object from a query answer: its full name (`host!service!uuid` for a downtime) and attributes. */
interface QueriedObject {
  name: string;
  attrs: Record<string, unknown>;
}

// ---------------------------------------------------------------- patterns

// ---------------------------------------------------------------- what the actions return

export interface AcknowledgeOptions {
  author: string;
  comment: string;
  /** How long until the acknowledgement ends by itself, in seconds; it stays until cleared when absent. */
  expiresInSeconds?: number;
  sticky: boolean;
  notify: boolean;
  persistent: boolean;
}

export interface DowntimeOptions {
  author: string;
  comment: string;
  durationSeconds: number;
  /** Fixed: from now for the duration. Flexible: starts when a problem begins within the duration, then lasts it. */
  fixed: boolean;
  /** A host and every one of its services (`host!*`). */
  allServices: boolean;
}

export interface ScheduledDowntime {
  /** Icinga2's name of the downtime, `host!service!uuid`. */
  name: string;
  /** Downtimes Icinga2 added for the host's services (all_services). */
  serviceDowntimes: number;
}

export interface RemovedDowntimes {
  /** Every downtime gone, including service downtimes removed with their host downtime. */
  removed: number;
  /** How many of them were on services, when the target is a host. */
  onServices: number;
}

export interface CheckableStatus {
  target: Checkable;
  /** UP/DOWN or OK/WARNING/CRITICAL/UNKNOWN; undefined while pending (no check result yet). */
  state?: string;
  stateType?: StateType;
  /** When the current hard state began, in seconds since the epoch. */
  since?: number;
  /** The first line of the last check's output. */
  output?: string;
  acknowledgement?: { author?: string; comment?: string; expiry?: number };
  /** The downtimes in effect now. */
  downtimes: { author?: string; comment?: string; end?: number }[];
}

export interface Problem {
  object: string;
  state: string;
  since?: number;
  output?: string;
}

// The worst first: a host down hides its services' problems, then the service states by severity.
const PROBLEM_RANK: Record<string, number> = { DOWN: 0, CRITICAL: 1, UNKNOWN: 2, WARNING: 3 };

// Constant filters: nothing from chat ever becomes part of them. A pending object has no check
// result but a non-OK state (UNKNOWN, DOWN) in 2.13, so `last_check_result` is required.
const UNHANDLED_FILTER = (type: 'host' | 'service') =>
  `${type}.state != ${type === 'host' ? 'HostUp' : 'ServiceOK'} && ${type}.acknowledgement == 0 && ${type}.downtime_depth == 0 && ${type}.last_check_result`;
const PROBLEM_ATTRS = ['last_check_result', 'last_hard_state_change'];
const STATUS_ATTRS = ['last_check_result', 'state_type', 'last_hard_state_change', 'acknowledgement', 'acknowledgement_expiry', 'downtime_depth'];
/** Comment.entry_type of an acknowledgement's comment (1 user, 2 downtime, 3 flapping, 4 acknowledgement). */
const ACKNOWLEDGEMENT_COMMENT = 4;

function checkResultState(attrs: Record<string, unknown>, isHost: boolean): string | undefined {
  return serviceScaleStateName(asRecord(attrs.last_check_result)?.state, isHost);
}

function checkResultOutput(attrs: Record<string, unknown>): string | undefined {
  const output = asText(asRecord(attrs.last_check_result)?.output);
  return output === undefined ? undefined : firstLine(output) || undefined;
}

/** A time Icinga2 reports as 0 when it never happened. */
function moment(value: unknown): number | undefined {
  const seconds = asNumber(value);
  return seconds ? seconds : undefined;
}

/**
 * Whether a downtime is in effect at `now`, as Icinga2's Downtime::IsInEffect decides: a fixed one
 * from its start to its end, a flexible one from when a problem triggered it, for its duration.
 */
function inEffect(attrs: Record<string, unknown>, now: number): { end?: number } | undefined {
  if (attrs.fixed !== false) {
    const end = moment(attrs.end_time);
    return (asNumber(attrs.start_time) ?? 0) <= now && end !== undefined && now < end ? { end } : undefined;
  }
  const triggered = moment(attrs.trigger_time);
  const end = triggered === undefined ? undefined : triggered + (asNumber(attrs.duration) ?? 0);
  return end !== undefined && now < end ? { end } : undefined;
}

export interface ActionsOptions {
  random?: Random;
  logger?: Logger;
  /** Shared by every view onBehalfOf() makes, so that one check after a reload covers them all. */
  recent?: RecentActions;
  /** Tells the person a command runs for: that it is being retried, or was lost in a reload. */
  tell?: (text: string) => void;
}

export class IcingaActions {
  private readonly recent: RecentActions;
  /** Whether this view told its person about a retry already: once per command is enough. */
  private toldRetry = false;

  constructor(
    private readonly connection: IcingaConnection,
    private readonly clock: Clock = systemClock,
    private readonly options: ActionsOptions = {},
  ) {
    this.recent = options.recent ?? new RecentActions(clock, options.logger);
  }

  /** The same actions for one command: retries and re-applied actions are told through `tell`. */
  onBehalfOf(tell: (text: string) => void): IcingaActions {
    return new IcingaActions(this.connection, this.clock, { ...this.options, recent: this.recent, tell });
  }

  /** Checks that what was reported done in the last 30 s is still there, and does it again if not (after a reconnect). */
  verifyRecent(): Promise<void> {
    return this.recent.verify();
  }

  private now(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private tell(text: string): void {
    if (this.options.tell) this.options.tell(text);
    else this.options.logger?.info(text);
  }

  /**
   * One request, sent again while Icinga2 reloads (503, or the connection refused or reset while
   * the worker switches); a connection failure, rejected credentials or a missing permission
   * become a failure.
   */
  private async request(method: 'GET' | 'POST', path: string, body: Record<string, unknown>): Promise<ApiResponse | ActionFailure> {
    const answer = await retryDuringReload(() => this.attempt(method, path, body), {
      clock: this.clock,
      random: this.options.random ?? Math.random,
      onRetry: (reason, budgetMs) => {
        this.options.logger?.info('Icinga2 is reloading, retrying', { path, reason });
        if (!this.toldRetry) this.tell(`${reason} (it does while reloading): the relay retries for up to ${budgetMs / 1000} s`);
        this.toldRetry = true;
      },
    });
    if (isFailure(answer)) return answer;
    if (answer.status === 401) {
      return failure('forbidden', `Icinga2 rejected the relay: ${describeHttpFailure(401, answer.text, this.connection.failureHints).message}`);
    }
    if (answer.status === 403) {
      // "Missing permission: filter-expression" (2.14.9+); older versions answer 404 instead.
      const permission = /Missing permission:?\s*([\w/*-]+)/i.exec(answer.text)?.[1];
      this.options.logger?.warn("Icinga2 refused a request: the relay's API user lacks a permission", { path, permission: permission ?? 'unknown', answer: bodyExcerpt(answer.text) });
      return failure(
        'forbidden',
        permission
          ? `the relay's Icinga2 API user lacks the permission ${permission} (Icinga2 answered 403: ${bodyExcerpt(answer.text)})`
          : `Icinga2 refused the relay (HTTP 403): ${bodyExcerpt(answer.text)}`,
      );
    }
    return answer;
  }

  private async attempt(method: 'GET' | 'POST', path: string, body: Record<string, unknown>): Promise<Attempt<ApiResponse | ActionFailure>> {
    try {
      const answer = await this.connection.apiRequest(method, path, body);
      if (answer.status !== 503) return { done: answer };
      // Actions answer {"results":[{"code":503,"status":"Icinga is reloading."}]}, object requests {"error":503,"status":...}.
      const reason = resultsOf(answer.body)[0]?.status || bodyExcerpt(answer.text);
      return {
        retry: `Icinga2 answered "${reason}"`,
        giveUp: failure('unreachable', `Icinga2 still answered "${reason}" after ${RELOAD_RETRY_MS / 1000} s of retries`),
        budgetMs: RELOAD_RETRY_MS,
      };
    } catch (error) {
      const described = describeFailure(error, this.connection.failureHints);
      const gone = failure('unreachable', `cannot reach Icinga2: ${described.message}`);
      const retry = `Icinga2 ${described.kind === 'refused' ? 'refused' : 'dropped'} the connection`;
      return described.kind === 'refused' || described.kind === 'network' ? { retry, giveUp: gone, budgetMs: REFUSED_RETRY_MS } : { done: gone };
    }
  }

  /** Remembers an action reported done, for the check after Icinga2 reloads. */
  private remember(action: Omit<RecentAction, 'doneAt' | 'tell'>): void {
    this.recent.add({ ...action, doneAt: this.clock.now(), tell: (text) => this.tell(text) });
  }

  /** Whether the object of this exact name is in the collection now. */
  private async exists(collection: 'comments' | 'downtimes', parameter: 'comment' | 'downtime', name: string): Promise<boolean | ActionFailure> {
    const found = await this.query(collection, { [parameter]: name, attrs: ['name'] });
    return isFailure(found) ? found : found.length > 0;
  }

  /** Objects of a type matching `body` (exact names or a constant filter); none when Icinga2 finds none. */
  private async query(collection: 'hosts' | 'services' | 'comments' | 'downtimes', body: Record<string, unknown>): Promise<QueriedObject[] | ActionFailure> {
    const answer = await this.request('GET', `/v1/objects/${collection}`, body);
    if (isFailure(answer)) return answer;
    // 404 "No objects found." for exact names; 200 with an empty list for filters.
    if (answer.status === 404) return [];
    if (answer.status !== 200) return failure('invalid', `Icinga2 could not list ${collection}: HTTP ${answer.status}: ${bodyExcerpt(answer.text)}`);
    return resultsOf(answer.body).flatMap(({ record }) => {
      const name = asText(record.name);
      return name === undefined ? [] : [{ name, attrs: asRecord(record.attrs) ?? {} }];
    });
  }

  private async find(target: Checkable, attrs: string[]): Promise<QueriedObject | undefined | ActionFailure> {
    const { type, ...name } = targetParameters(target);
    const found = await this.query(type === 'Host' ? 'hosts' : 'services', { ...name, attrs });
    return isFailure(found) ? found : found[0];
  }

  /** "no such service web01!htp (did you mean web01!http?)". */
  private async notFound(target: Checkable): Promise<ActionFailure> {
    const hosts = await this.query('hosts', { attrs: ['name'] });
    if (isFailure(hosts)) return hosts;
    const hostNames = hosts.map((host) => host.name);
    let suggestion: string | undefined;
    if (target.service === undefined) {
      suggestion = closestMatch(target.host, hostNames);
    } else {
      const host = hostNames.includes(target.host) ? target.host : closestMatch(target.host, hostNames);
      // The one filter here; without the permission filter-expression there is just no suggestion.
      const services = host === undefined ? [] : await this.query('services', { filter: 'service.host_name == host_name', filter_vars: { host_name: host }, attrs: ['name'] });
      if (isFailure(services) && !services.message.includes('filter-expression')) return services;
      const candidates = isFailure(services) ? [] : services;
      const service = closestMatch(target.service, candidates.map((found) => asText(found.attrs.name) ?? ''));
      if (service !== undefined) suggestion = `${host}!${service}`;
    }
    const hint = suggestion
      ? ` (did you mean ${suggestion}?)`
      : // A user without objects/query sees no objects at all rather than an error.
        hostNames.length === 0
        ? ": the relay's Icinga2 API user sees no hosts at all; does it lack the permission objects/query/*?"
        : '';
    return failure('not-found', `no such ${kindOf(target)} ${target.object}${hint}`);
  }

  /** An action answered 404: the object is unknown, or the API user may not run the action. */
  private async missing(target: Checkable, action: string): Promise<ActionFailure> {
    const found = await this.find(target, ['name']);
    if (isFailure(found)) return found;
    if (found) return failure('forbidden', `the relay's Icinga2 API user lacks the permission actions/${action}`);
    return this.notFound(target);
  }

  /** Runs an action on one object; `what` completes "Icinga2 could not ..." for an unexpected answer. */
  private async act(action: string, target: Checkable, parameters: Record<string, unknown>, what: string): Promise<ActionOutcome<Result[]>> {
    const answer = await this.request('POST', `/v1/actions/${action}`, { ...parameters, ...targetParameters(target) });
    if (isFailure(answer)) return answer;
    const results = resultsOf(answer.body);
    if (answer.status === 404 || results.length === 0) return this.missing(target, action);
    const failed = results.find((result) => !succeeded(result.code));
    if (failed?.code === 409) return failure('conflict', failed.status);
    if (failed) return failure('invalid', `Icinga2 could not ${what}: ${failed.status || `HTTP ${failed.code ?? answer.status}`}`);
    return ok(results);
  }

  async acknowledge(target: Checkable, options: AcknowledgeOptions): Promise<ActionOutcome<void>> {
    const { expiresInSeconds, ...rest } = options;
    const expiry = expiresInSeconds === undefined ? {} : { expiry: this.now() + expiresInSeconds };
    const outcome = await this.act('acknowledge-problem', target, { ...rest, ...expiry }, `acknowledge ${target.object}`);
    if (outcome.ok) {
      this.remember({
        kind: 'acknowledgement',
        object: target.object,
        what: `the acknowledgement of ${target.object}`,
        again: 'acknowledged it again',
        present: async () => {
          // The acknowledgement's comment has no name in the answer: the object's own flag says it.
          const found = await this.find(target, ['acknowledgement']);
          return isFailure(found) ? found : Boolean(found && asNumber(found.attrs.acknowledgement));
        },
        reapply: () => this.acknowledge(target, options),
      });
      return ok(undefined);
    }
    if (outcome.kind !== 'conflict') return outcome;
    // "Service db01!http is OK." / "Host web01 is UP." / "... is already acknowledged."
    const healthy = /\bis (OK|UP)\.?$/.exec(outcome.message);
    if (healthy) return failure('conflict', `${target.object} is ${healthy[1]}, nothing to acknowledge`);
    if (/already acknowledged/.test(outcome.message)) return failure('conflict', `${target.object} is already acknowledged`);
    return failure('conflict', `Icinga2 refused to acknowledge ${target.object}: ${outcome.message}`);
  }

  async removeAcknowledgement(target: Checkable, author: string): Promise<ActionOutcome<void>> {
    // Icinga2 answers "removed" even when there was nothing to remove: look first.
    const found = await this.find(target, ['acknowledgement']);
    if (isFailure(found)) return found;
    if (!found) return this.notFound(target);
    if (!asNumber(found.attrs.acknowledgement)) return failure('conflict', `${target.object} is not acknowledged`);
    const outcome = await this.act('remove-acknowledgement', target, { author }, `remove the acknowledgement of ${target.object}`);
    if (!outcome.ok) return outcome;
    this.recent.forget((entry) => entry.kind === 'acknowledgement' && entry.object === target.object);
    return ok(undefined);
  }

  async addComment(target: Checkable, author: string, comment: string): Promise<ActionOutcome<void>> {
    const outcome = await this.act('add-comment', target, { author, comment }, `add a comment to ${target.object}`);
    if (!outcome.ok) return outcome;
    const name = asText(outcome.value[0]?.record.name);
    if (name) {
      this.remember({
        kind: 'comment',
        object: target.object,
        what: `the comment on ${target.object}`,
        again: 'added it again',
        present: () => this.exists('comments', 'comment', name),
        reapply: () => this.addComment(target, author, comment),
      });
    }
    return ok(undefined);
  }

  /** A downtime from now on; with `allServices`, for a host and all its services. */
  async scheduleDowntime(target: Checkable, options: DowntimeOptions): Promise<ActionOutcome<ScheduledDowntime>> {
    if (options.allServices && target.service !== undefined) return failure('invalid', `${target.object} is a service; all services applies to hosts`);
    const start = this.now();
    const outcome = await this.act(
      'schedule-downtime',
      target,
      {
        author: options.author,
        comment: options.comment,
        start_time: start,
        end_time: start + options.durationSeconds,
        fixed: options.fixed,
        duration: options.durationSeconds,
        ...(options.allServices && { all_services: true }),
      },
      `schedule a downtime for ${target.object}`,
    );
    if (!outcome.ok) return outcome;
    const [result] = outcome.value;
    const serviceDowntimes = result.record.service_downtimes;
    const name = asText(result.record.name) ?? '';
    if (name) {
      this.remember({
        kind: 'downtime',
        object: target.object,
        what: `the downtime of ${target.object}${options.allServices ? ' and its services' : ''}`,
        again: 'scheduled it again, from now',
        present: () => this.exists('downtimes', 'downtime', name),
        reapply: () => this.scheduleDowntime(target, options),
      });
    }
    return ok({ name, serviceDowntimes: Array.isArray(serviceDowntimes) ? serviceDowntimes.length : 0 });
  }

  /**
   * Removes the downtimes of one object, found by a query and removed by their exact names. A
   * host's downtimes take the service downtimes scheduled with them (all_services) along; with
   * `allServices`, every downtime of the host and of its services goes.
   */
  async removeDowntimes(target: Checkable, options: { author: string; allServices: boolean }): Promise<ActionOutcome<RemovedDowntimes>> {
    const downtimes = await this.query('downtimes', {
      filter: 'downtime.host_name == host_name',
      filter_vars: { host_name: target.host },
      attrs: ['service_name', 'parent'],
    });
    if (isFailure(downtimes)) return downtimes;
    const own = downtimes.filter((downtime) => options.allServices || (asText(downtime.attrs.service_name) ?? '') === (target.service ?? ''));
    const ownNames = new Set(own.map((downtime) => downtime.name));
    // Children of a removed host downtime go with it, whether or not they were asked for.
    const children = downtimes.filter((downtime) => !ownNames.has(downtime.name) && ownNames.has(asText(downtime.attrs.parent) ?? ''));
    if (own.length === 0) {
      const found = await this.find(target, ['name']);
      if (isFailure(found)) return found;
      if (!found) return this.notFound(target);
      return failure('conflict', options.allServices ? `${target.host} and its services have no downtime` : `${target.object} has no downtime`);
    }
    for (const downtime of own) {
      if (ownNames.has(asText(downtime.attrs.parent) ?? '')) continue;
      const removed = await this.removeDowntime(downtime.name, options.author);
      if (!removed.ok) return removed;
    }
    this.recent.forget(
      (entry) => entry.kind === 'downtime' && (entry.object === target.object || (options.allServices && entry.object.split('!')[0] === target.host)),
    );
    const gone = [...own, ...children];
    return ok({ removed: gone.length, onServices: target.service === undefined ? gone.filter((downtime) => asText(downtime.attrs.service_name)).length : 0 });
  }

  private async removeDowntime(name: string, author: string): Promise<ActionOutcome<void>> {
    if (name === '') throw new Error('refusing remove-downtime without a downtime name');
    const answer = await this.request('POST', '/v1/actions/remove-downtime', { type: 'Downtime', downtime: name, author });
    if (isFailure(answer)) return answer;
    const results = resultsOf(answer.body);
    if (answer.status === 404 || results.length === 0) {
      const still = await this.query('downtimes', { downtime: name, attrs: ['name'] });
      if (isFailure(still)) return still;
      // Gone already (it ended, or someone else removed it) is as good as removed.
      return still.length > 0 ? failure('forbidden', "the relay's Icinga2 API user lacks the permission actions/remove-downtime") : ok(undefined);
    }
    const failed = results.find((result) => !succeeded(result.code));
    return failed ? failure('invalid', `Icinga2 could not remove downtime ${name}: ${failed.status || `HTTP ${failed.code ?? answer.status}`}`) : ok(undefined);
  }

  /** A forced check, now: regardless of time periods and whether active checks are enabled. */
  async recheck(target: Checkable): Promise<ActionOutcome<void>> {
    const outcome = await this.act('reschedule-check', target, { force: true, next_check: this.now() }, `reschedule the check of ${target.object}`);
    return outcome.ok ? ok(undefined) : outcome;
  }

  async status(target: Checkable): Promise<ActionOutcome<CheckableStatus>> {
    const found = await this.find(target, STATUS_ATTRS);
    if (isFailure(found)) return found;
    if (!found) return this.notFound(target);
    const { attrs } = found;
    const pending = asRecord(attrs.last_check_result) === undefined;
    const status: CheckableStatus = {
      target,
      state: pending ? undefined : checkResultState(attrs, target.service === undefined),
      stateType: pending ? undefined : stateTypeName(attrs.state_type),
      since: pending ? undefined : moment(attrs.last_hard_state_change),
      output: checkResultOutput(attrs),
      downtimes: [],
    };
    const owner = { filter_vars: { host_name: target.host, service_name: target.service ?? '' } };
    if (asNumber(attrs.acknowledgement)) {
      const comments = await this.query('comments', {
        filter: `comment.host_name == host_name && comment.service_name == service_name && comment.entry_type == ${ACKNOWLEDGEMENT_COMMENT}`,
        ...owner,
        attrs: ['author', 'text'],
      });
      if (isFailure(comments)) return comments;
      const latest = comments.at(-1)?.attrs ?? {};
      status.acknowledgement = { author: asText(latest.author), comment: asText(latest.text), expiry: moment(attrs.acknowledgement_expiry) };
    }
    if (asNumber(attrs.downtime_depth)) {
      const downtimes = await this.query('downtimes', {
        filter: 'downtime.host_name == host_name && downtime.service_name == service_name',
        ...owner,
        attrs: ['author', 'comment', 'fixed', 'duration', 'start_time', 'end_time', 'trigger_time'],
      });
      if (isFailure(downtimes)) return downtimes;
      const now = this.now();
      status.downtimes = downtimes.flatMap(({ attrs: downtime }) => {
        const effect = inEffect(downtime, now);
        return effect ? [{ author: asText(downtime.author), comment: asText(downtime.comment), end: effect.end }] : [];
      });
    }
    return ok(status);
  }

  /** Unhandled problems (not acknowledged, not in downtime), worst first; `pattern` is matched here, in the relay. */
  async problems(pattern?: string): Promise<ActionOutcome<Problem[]>> {
    const matches = pattern === undefined ? () => true : patternMatcher(pattern);
    const problems: Problem[] = [];
    for (const type of ['host', 'service'] as const) {
      const found = await this.query(`${type}s`, { filter: UNHANDLED_FILTER(type), attrs: PROBLEM_ATTRS });
      if (isFailure(found)) return found;
      for (const { name, attrs } of found) {
        const state = checkResultState(attrs, type === 'host');
        if (state === undefined || !(state in PROBLEM_RANK) || !matches(name)) continue;
        problems.push({ object: name, state, since: moment(attrs.last_hard_state_change), output: checkResultOutput(attrs) });
      }
    }
    problems.sort((a, b) => PROBLEM_RANK[a.state] - PROBLEM_RANK[b.state] || a.object.localeCompare(b.object));
    return ok(problems);
  }
}
