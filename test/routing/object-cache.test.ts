import t from 'tap';
import { MAX_REREADS, ObjectCache } from '../../src/icinga/object-cache.js';
import type { ApiResponse } from '../../src/icinga/connection.js';
import { memoryLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Answers object queries from `answer`, which may throw to play an unreachable Icinga2. */
function cacheWith(answer: (path: string, body: Record<string, unknown>) => ApiResponse | Promise<ApiResponse>) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const requests: unknown[] = [];
  const connection = {
    failureHints: { auth: 'password' as const },
    apiRequest: async (_method: string, path: string, body?: unknown) => {
      requests.push([path, body]);
      return answer(path, body as Record<string, unknown>);
    },
  };
  const cache = new ObjectCache({ connection, backoff: { initialDelayMs: 1000, maxDelayMs: 4000 }, clock, random: () => 0, logger });
  return { cache, clock, logger, requests };
}

const ok = (results: unknown[]): ApiResponse => ({ status: 200, body: { results }, text: '' });
const HOSTS = [{ attrs: { name: 'db01', groups: ['databases'], vars: { team: 'db' } } }];
const SERVICES = [{ attrs: { name: 'disk', host_name: 'db01', groups: [], vars: null } }];

t.test('a failed load is logged and retried with backoff; what is known stays', async (t) => {
  let up = false;
  const { cache, clock, logger } = cacheWith((path) => {
    if (!up) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5665'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5665 });
    return ok(path.endsWith('hosts') ? HOSTS : SERVICES);
  });
  await cache.load();
  t.match(logger.lines.join('\n'), /cannot load host and service metadata; routing goes on with what is known .*connection refused.* retryInMs=1000/);
  t.same(clock.pendingDelays(), [1000]);
  clock.advance(1000);
  await settle();
  t.same(clock.pendingDelays(), [2000], 'backoff doubles');
  up = true;
  clock.advance(2000);
  await settle();
  t.same(cache.lookup('db01'), { groups: ['databases'], vars: { team: 'db' } });
  t.same(cache.lookup('db01!disk'), { groups: [], vars: {} }, 'vars null reads as none');
  t.same(clock.pendingDelays(), []);
  cache.stop();
});

t.test('HTTP errors say why; Object* events re-read one object by exact name', async (t) => {
  let status = 404;
  const { cache, logger, requests } = cacheWith((path, body) => {
    if (status !== 200) return { status, body: undefined, text: 'No objects found.' };
    if (body.host === 'new01') return ok([{ attrs: { name: 'new01', groups: ['g'], vars: { team: 'web' } } }]);
    return ok(path.endsWith('hosts') ? HOSTS : SERVICES);
  });
  status = 500;
  await cache.load();
  t.match(logger.lines.join('\n'), /Icinga2 answered HTTP 500/);
  status = 200;
  await cache.load();
  cache.handleEvent({ type: 'ObjectCreated', object_type: 'Host', object_name: 'new01' });
  await settle();
  t.same(cache.lookup('new01'), { groups: ['g'], vars: { team: 'web' } });
  t.match(requests.at(-1), ['/v1/objects/hosts', { host: 'new01' }], 'exact-name parameter, no filter');
  cache.handleEvent({ type: 'ObjectModified', object_type: 'Service', object_name: 'db01!disk' });
  await settle();
  t.match(requests.at(-1), ['/v1/objects/services', { service: 'db01!disk' }]);
  cache.handleEvent({ type: 'ObjectDeleted', object_type: 'Host', object_name: 'new01' });
  t.equal(cache.lookup('new01'), undefined);
  cache.handleEvent({ type: 'ObjectCreated', object_type: 'Downtime', object_name: 'db01!abc' });
  t.equal(requests.length, 6, 'downtimes and comments are not looked up');
  status = 404;
  cache.handleEvent({ type: 'ObjectModified', object_type: 'Host', object_name: 'db01' });
  await settle();
  t.equal(cache.lookup('db01'), undefined, 'a 404 on re-reading means the object is gone');
  status = 401;
  cache.handleEvent({ type: 'ObjectModified', object_type: 'Host', object_name: 'db01' });
  await settle();
  t.match(logger.lines.at(-1), /cannot read a changed object; routing keeps what it knew of it object=db01 error="authentication failed/);
});

t.test('changes during a load win over its older answer; a slow re-read never overwrites a later delete', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let slow = true;
  const { cache } = cacheWith(async (path, body) => {
    if (slow) await gate;
    if (body.host === 'db01') return ok([{ attrs: { name: 'db01', groups: [], vars: { team: 'stale' } } }]);
    return ok(path.endsWith('hosts') ? HOSTS : SERVICES);
  });
  const loading = cache.load();
  t.equal(cache.load(), loading, 'a second load waits for the running one, then follows it');
  cache.handleEvent({ type: 'ObjectDeleted', object_type: 'Host', object_name: 'db01' });
  release();
  await loading;
  t.equal(cache.lookup('db01'), undefined, 'deleted during the load: stays deleted');
  slow = false;
  await settle();
  await settle();
  t.ok(cache.lookup('db01'), 'the follow-up load sees it again');
  cache.handleEvent({ type: 'ObjectModified', object_type: 'Host', object_name: 'db01' });
  cache.handleEvent({ type: 'ObjectDeleted', object_type: 'Host', object_name: 'db01' });
  await settle();
  t.equal(cache.lookup('db01'), undefined, 'the re-read answered after the delete and was dropped');
  cache.stop();
});

t.test(`re-reads are coalesced per object and at most ${MAX_REREADS} run at once; nothing stays behind`, async (t) => {
  const held: { body: Record<string, unknown>; answer: () => void }[] = [];
  const { cache, requests } = cacheWith(
    (_path, body) =>
      new Promise<ApiResponse>((resolve) => {
        const name = String(body.host);
        held.push({ body, answer: () => resolve(ok([{ attrs: { name, groups: [], vars: { read: requests.length } } }])) });
      }),
  );
  const modified = (name: string) => cache.handleEvent({ type: 'ObjectModified', object_type: 'Host', object_name: name });
  for (let round = 0; round < 50; round++) modified('web01');
  t.equal(held.length, 1, '50 events about one object while its re-read runs: one request');
  t.equal(cache.pendingRereads, 2, 'and one more waiting for it to end');
  for (let index = 0; index < 100; index++) modified(`host${index}`);
  t.equal(held.length, MAX_REREADS, 'a burst about many objects: at most the cap under way');
  // Answer everything as it comes, oldest first.
  while (held.length > 0) {
    held.shift()!.answer();
    await settle();
    t.ok(held.length <= MAX_REREADS, 'never more than the cap');
  }
  t.equal(requests.length, 2 + 100, 'web01 twice (the events during the first re-read made one more), each other host once');
  t.ok(cache.lookup('web01') && cache.lookup('host99'));
  t.equal(cache.pendingRereads, 0, 'nothing is kept about objects once their re-read is applied');
  modified('gone01');
  modified('gone02');
  cache.handleEvent({ type: 'ObjectDeleted', object_type: 'Host', object_name: 'gone02' });
  cache.handleEvent({ type: 'ObjectDeleted', object_type: 'Host', object_name: 'gone01' });
  t.equal(cache.pendingRereads, 2, 'deleted while read: the reads still run');
  while (held.length > 0) {
    held.shift()!.answer();
    await settle();
  }
  t.equal(cache.lookup('gone01'), undefined, 'and are dropped');
  t.equal(cache.lookup('gone02'), undefined);
  t.equal(cache.pendingRereads, 0);
  cache.stop();
});
