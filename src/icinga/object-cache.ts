/**
 * What routes match on that events do not carry: the groups and custom variables of every host
 * and service. Loaded from `/v1/objects/hosts` and `/v1/objects/services` after every stream
 * (re)connect, because events in a gap are lost for good; kept current between loads by the
 * ObjectCreated/ObjectModified/ObjectDeleted events, which name the object but carry none of its
 * attributes, so each one re-reads that one object by its exact name: at most one re-read per
 * object at a time (events during it make one more, not one each) and MAX_REREADS in all, so a
 * burst of ObjectModified (a config deploy touches every object) never becomes a burst of requests.
 *
 * A failed load is logged and retried with backoff; until then routing goes on with what is known.
 */
import { asLineList, asRecord, asText } from '../util/values.js';
import type { Clock, Random, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { Backoff, type BackoffOptions } from '../util/backoff.js';
import type { IcingaConnection } from './connection.js';
import { describeFailure, IcingaHttpError } from './errors.js';
import type { IcingaEvent } from './event-types.js';

export interface ObjectMetadata {
  /** HostGroup or ServiceGroup names. */
  groups: readonly string[];
  vars: Readonly<Record<string, unknown>>;
}

/** Metadata by object name: `host` for hosts, `host!service` for services. */
export interface ObjectDirectory {
  lookup(object: string): ObjectMetadata | undefined;
}

export interface ObjectCacheOptions {
  connection: Pick<IcingaConnection, 'apiRequest' | 'failureHints'>;
  backoff: BackoffOptions;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Event types that change what the cache holds; the relay subscribes to them for it. */
export const OBJECT_EVENT_TYPES = ['ObjectCreated', 'ObjectModified', 'ObjectDeleted'] as const;

/** Re-reads of changed objects under way at once. */
export const MAX_REREADS = 4;

const HOST_ATTRS = ['name', 'groups', 'vars'];
const SERVICE_ATTRS = ['name', 'host_name', 'groups', 'vars'];

function metadata(attrs: Record<string, unknown>): ObjectMetadata {
  return { groups: asLineList(attrs.groups), vars: asRecord(attrs.vars) ?? {} };
}

/** The hosts' or services' attributes; none when Icinga2 finds none (404 for exact names). Throws on other failures. */
export async function queryObjects(
  connection: Pick<IcingaConnection, 'apiRequest'>,
  collection: 'hosts' | 'services',
  body: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  // GET with a JSON body: Icinga2 reads it like X-HTTP-Method-Override: GET (measured on 2.13).
  const answer = await connection.apiRequest('GET', `/v1/objects/${collection}`, body);
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new IcingaHttpError(answer.status, answer.text);
  const results = asRecord(answer.body)?.results;
  return Array.isArray(results) ? results.map((result) => asRecord(asRecord(result)?.attrs) ?? {}) : [];
}

export class ObjectCache implements ObjectDirectory {
  private objects = new Map<string, ObjectMetadata>();
  /** Object* events seen, numbered: a re-read applies only if no event about its object came after the one it serves. */
  private sequence = 0;
  /** Objects with a re-read waiting or under way, by the number of the last event about them; freed once it is applied. */
  private readonly latest = new Map<string, number>();
  /** Objects waiting for a re-read, oldest first, each once however many events came. */
  private readonly waiting = new Map<string, 'Host' | 'Service'>();
  /** Objects with a re-read under way. */
  private readonly reading = new Set<string>();
  /** Objects changed while a full load runs: applied on top of its (possibly older) answer. */
  private changedDuringLoad: Map<string, ObjectMetadata | undefined> | undefined;
  private loading: Promise<void> | undefined;
  private loadAgain = false;
  private retryTimer: TimerHandle | undefined;
  private stopped = false;
  private readonly backoff: Backoff;

  constructor(private readonly options: ObjectCacheOptions) {
    // Each success counts as healthy at once (healthyAfterMs 0): the next failure starts over.
    this.backoff = new Backoff({ ...options.backoff, healthyAfterMs: 0 }, options.clock, options.random);
  }

  get size(): number {
    return this.objects.size;
  }

  lookup(object: string): ObjectMetadata | undefined {
    return this.objects.get(object);
  }

  /** Reads every host and service; a load asked for while one runs follows it. Never rejects. */
  load(): Promise<void> {
    if (this.loading) {
      this.loadAgain = true;
      return this.loading;
    }
    this.options.clock.clearTimeout(this.retryTimer);
    this.loading = this.loadAll().finally(() => {
      this.loading = undefined;
      if (this.loadAgain && !this.stopped) {
        this.loadAgain = false;
        void this.load();
      }
    });
    return this.loading;
  }

  /** Applies an Object* event about a host or service; other events and objects are ignored. */
  handleEvent(event: IcingaEvent): void {
    const objectType = asText(event.object_type);
    const object = asText(event.object_name);
    if ((objectType !== 'Host' && objectType !== 'Service') || object === undefined) return;
    if (event.type === 'ObjectDeleted') {
      // Forgotten at once; a re-read still under way finds its number gone and changes nothing.
      this.latest.delete(object);
      this.waiting.delete(object);
      this.set(object, undefined);
    } else if (event.type === 'ObjectCreated' || event.type === 'ObjectModified') {
      this.latest.set(object, ++this.sequence);
      this.waiting.set(object, objectType);
      this.startRereads();
    }
  }

  /** Re-reads waiting for a place (or for their object's re-read under way to end): at most one per object, MAX_REREADS in all. */
  get pendingRereads(): number {
    return this.waiting.size + this.reading.size;
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    this.options.clock.clearTimeout(this.retryTimer);
  }

  private set(object: string, value: ObjectMetadata | undefined): void {
    if (value) this.objects.set(object, value);
    else this.objects.delete(object);
    this.changedDuringLoad?.set(object, value);
  }

  private async loadAll(): Promise<void> {
    const changed = new Map<string, ObjectMetadata | undefined>();
    this.changedDuringLoad = changed;
    try {
      const [hosts, services] = await Promise.all([
        this.query('hosts', { attrs: HOST_ATTRS }),
        this.query('services', { attrs: SERVICE_ATTRS }),
      ]);
      const objects = new Map<string, ObjectMetadata>();
      for (const attrs of hosts) {
        const name = asText(attrs.name);
        if (name !== undefined) objects.set(name, metadata(attrs));
      }
      for (const attrs of services) {
        const [host, name] = [asText(attrs.host_name), asText(attrs.name)];
        if (host !== undefined && name !== undefined) objects.set(`${host}!${name}`, metadata(attrs));
      }
      for (const [object, value] of changed) {
        if (value) objects.set(object, value);
        else objects.delete(object);
      }
      this.objects = objects;
      this.backoff.connected();
      this.options.logger.info('host and service metadata loaded', { hosts: hosts.length, services: services.length });
    } catch (error) {
      if (this.stopped) return;
      const retryInMs = this.backoff.nextDelay();
      this.options.logger.warn('cannot load host and service metadata; routing goes on with what is known', {
        error: this.describe(error),
        retryInMs,
      });
      this.retryTimer = this.options.clock.setTimeout(() => void this.load(), retryInMs);
    } finally {
      this.changedDuringLoad = undefined;
    }
  }

  private startRereads(): void {
    for (const [object, objectType] of this.waiting) {
      if (this.reading.size >= MAX_REREADS || this.stopped) return;
      // Its next re-read starts when the one under way ends, with the newest event's number.
      if (this.reading.has(object)) continue;
      this.waiting.delete(object);
      this.reading.add(object);
      void this.reread(objectType, object, this.latest.get(object)!).finally(() => {
        this.reading.delete(object);
        this.startRereads();
      });
    }
  }

  private async reread(objectType: 'Host' | 'Service', object: string, change: number): Promise<void> {
    try {
      // Exact-name parameters, never a filter built from a name (see src/icinga/actions.ts).
      const [attrs] =
        objectType === 'Host'
          ? await this.query('hosts', { host: object, attrs: HOST_ATTRS })
          : await this.query('services', { service: object, attrs: SERVICE_ATTRS });
      if (this.latest.get(object) === change) this.set(object, attrs && metadata(attrs));
    } catch (error) {
      this.options.logger.warn('cannot read a changed object; routing keeps what it knew of it', { object, error: this.describe(error) });
    } finally {
      if (this.latest.get(object) === change) this.latest.delete(object);
    }
  }

  private query(collection: 'hosts' | 'services', body: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    return queryObjects(this.options.connection, collection, body);
  }

  private describe(error: unknown): string {
    return describeFailure(error, this.options.connection.failureHints).message;
  }
}
