/**
 * IcingaActions against a real Icinga2 (one daemon for the file), plus a fake HTTPS endpoint for
 * answers a healthy Icinga2 does not give. Facts: shared/icinga2-notes.md, "Actions and errors".
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import t from 'tap';
import { patternMatcher } from '../../src/glob.js';
import { checkable, IcingaActions, targetParameters } from '../../src/icinga/actions.js';
import { IcingaConnection } from '../../src/icinga/connection.js';
import { freePort, startIcinga2, type PasswordUser } from '../harness/icinga2.js';
import { FakeClock, settleOnFakeClock } from '../helpers/fake-clock.js';

const http = checkable('web01', 'http');
const now = () => Date.now() / 1000;

t.test('patterns: * and ? globs, case ignored, a plain word matches inside names', async (t) => {
  const names = ['web01', 'web01!http', 'web02!disk', 'db01!disk', 'routeur-äöü!load'];
  const matching = (pattern: string) => names.filter(patternMatcher(pattern));
  t.same(matching('web*'), ['web01', 'web01!http', 'web02!disk']);
  t.same(matching('*!disk'), ['web02!disk', 'db01!disk']);
  t.same(matching('web0?!*'), ['web01!http', 'web02!disk']);
  t.same(matching('DISK'), ['web02!disk', 'db01!disk']);
  t.same(matching('äöü'), ['routeur-äöü!load']);
  t.same(matching('web01'), ['web01', 'web01!http']);
  t.same(matching('*'), names);
  t.same(matching('**web01**'), ['web01', 'web01!http']);
  t.same(matching('w*b*1'), ['web01']);
  t.same(matching('[a-z]+'), [], 'no regular expressions');
  const start = process.hrtime.bigint();
  t.notOk(patternMatcher(`${'*a'.repeat(400)}b`)('a'.repeat(200)), 'a pathological pattern');
  t.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000, 'is still fast');
});

t.test('every request names its target; an empty name is refused before anything is sent', async (t) => {
  t.same(targetParameters(checkable('web01')), { type: 'Host', host: 'web01' });
  t.same(targetParameters(http), { type: 'Service', service: 'web01!http' });
  t.throws(() => targetParameters(checkable('')), { message: /refusing an Icinga2 request without a target name/ });
  t.throws(() => targetParameters(checkable('web01', '')), { message: /refusing an Icinga2 request without a target name/ });
});

t.test('against a real Icinga2', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const connections: IcingaConnection[] = [];
  t.teardown(() => Promise.all(connections.map((connection) => connection.close())));
  const actionsAs = (user: PasswordUser, url = icinga.url) => {
    const connection = new IcingaConnection(url, { caPem: readFileSync(icinga.caFile, 'utf8'), auth: { method: 'password', ...user } });
    connections.push(connection);
    return new IcingaActions(connection);
  };
  const actions = actionsAs(icinga.users.relay);
  const attrs = async (object: string, names: string[]) => {
    const collection = object.includes('!') ? 'services' : 'hosts';
    const answer = await icinga.api('GET', `/v1/objects/${collection}`, { [collection === 'services' ? 'service' : 'host']: object, attrs: names });
    return (answer.json as { results: { attrs: Record<string, unknown> }[] }).results[0].attrs;
  };
  const downtimes = async (hostName: string) => {
    const answer = await icinga.api('GET', '/v1/objects/downtimes', { filter: 'downtime.host_name == h', filter_vars: { h: hostName }, attrs: ['service_name', 'fixed'] });
    return (answer.json as { results: { name: string; attrs: { service_name: string; fixed: boolean } }[] }).results;
  };
  const options = { author: 'alice (via irc)', comment: 'looking', sticky: true, notify: false, persistent: false };

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused\nsecond line');
  await icinga.processCheckResult('db01!http', 0, 'HTTP OK');
  await icinga.processCheckResult('web01', 0, 'PING OK');
  await icinga.processCheckResult('web02', 1, 'PING CRITICAL - Packet loss = 100%');
  await icinga.processCheckResult('web02!load', 1, 'LOAD WARNING');
  await icinga.processCheckResult('db01!disk', 3, 'DISK UNKNOWN');

  t.test('acknowledge: sticky, with an expiry; 409s in words', async (t) => {
    t.same(await actions.acknowledge(http, { ...options, expiresInSeconds: 3600 }), { ok: true, value: undefined });
    const acknowledged = await attrs('web01!http', ['acknowledgement', 'acknowledgement_expiry']);
    t.equal(acknowledged.acknowledgement, 2, 'sticky');
    t.ok(Math.abs((acknowledged.acknowledgement_expiry as number) - (now() + 3600)) < 5, 'expires in an hour');
    t.same(await actions.acknowledge(http, options), { ok: false, kind: 'conflict', message: 'web01!http is already acknowledged' });
    t.same(await actions.acknowledge(checkable('db01', 'http'), options), { ok: false, kind: 'conflict', message: 'db01!http is OK, nothing to acknowledge' });
    t.same(await actions.acknowledge(checkable('web01'), options), { ok: false, kind: 'conflict', message: 'web01 is UP, nothing to acknowledge' });
  });

  t.test('unknown objects: not found, with a close match when there is one', async (t) => {
    t.same(await actions.acknowledge(checkable('web01', 'htp'), options), { ok: false, kind: 'not-found', message: 'no such service web01!htp (did you mean web01!http?)' });
    t.same(await actions.recheck(checkable('webb01', 'http')), { ok: false, kind: 'not-found', message: 'no such service webb01!http (did you mean web01!http?)' });
    t.same(await actions.status(checkable('Web02')), { ok: false, kind: 'not-found', message: 'no such host Web02 (did you mean web02?)' });
    t.same(await actions.addComment(checkable('mailserver'), 'a', 'b'), { ok: false, kind: 'not-found', message: 'no such host mailserver' });
    t.same(await actions.addComment(checkable('mailserver', 'smtp'), 'a', 'b'), { ok: false, kind: 'not-found', message: 'no such service mailserver!smtp' });
    t.same(await actions.removeAcknowledgement(checkable('web01', 'nope'), 'a'), { ok: false, kind: 'not-found', message: 'no such service web01!nope' });
    t.same(await actions.removeDowntimes(checkable('db02'), { author: 'a', allServices: true }), { ok: false, kind: 'not-found', message: 'no such host db02 (did you mean db01?)' });
  });

  t.test('missing permissions, told apart from unknown objects', async (t) => {
    const restricted = actionsAs(icinga.users.restricted);
    t.same(await restricted.acknowledge(checkable('web02'), options), {
      ok: false,
      kind: 'forbidden',
      message: "the relay's Icinga2 API user lacks the permission actions/acknowledge-problem",
    });
    t.same(await restricted.removeAcknowledgement(http, 'a'), { ok: false, kind: 'forbidden', message: "the relay's Icinga2 API user lacks the permission actions/remove-acknowledgement" });
    t.same(await restricted.acknowledge(checkable('web01', 'htp'), options), { ok: false, kind: 'not-found', message: 'no such service web01!htp (did you mean web01!http?)' });
    t.match(await actions.scheduleDowntime(checkable('web02', 'disk'), { author: 'a', comment: 'c', durationSeconds: 60, fixed: true, allServices: false }), {
      ok: true,
      value: { name: /^web02!disk!/, serviceDowntimes: 0 },
    });
    t.same(await restricted.removeDowntimes(checkable('web02', 'disk'), { author: 'a', allServices: false }), {
      ok: false,
      kind: 'forbidden',
      message: "the relay's Icinga2 API user lacks the permission actions/remove-downtime",
    });
    t.same(await actionsAs({ username: icinga.users.relay.username, password: 'wrong' }).recheck(http), {
      ok: false,
      kind: 'forbidden',
      message: "Icinga2 rejected the relay: authentication failed (HTTP 401): check icinga.username and icinga.password",
    });
  });

  t.test('removing acknowledgements and comments', async (t) => {
    t.same(await actions.removeAcknowledgement(http, 'bob (via xmpp)'), { ok: true, value: undefined });
    t.equal((await attrs('web01!http', ['acknowledgement'])).acknowledgement, 0);
    t.same(await actions.removeAcknowledgement(http, 'bob'), { ok: false, kind: 'conflict', message: 'web01!http is not acknowledged' });
    t.same(await actions.addComment(checkable('db01'), 'carol (via slack)', 'replaced the PSU'), { ok: true, value: undefined });
    t.match(await actions.addComment(checkable('db01'), 'carol', ''), {
      ok: false,
      kind: 'invalid',
      message: /^Icinga2 could not add a comment to db01: Action execution failed: 'Error: Could not create comment\./,
    });
  });

  t.test('downtimes: host with all services, and removal by exact name', async (t) => {
    const scheduled = await actions.scheduleDowntime(checkable('db01'), { author: 'a', comment: 'c', durationSeconds: 3600, fixed: true, allServices: true });
    t.match(scheduled, { ok: true, value: { name: /^db01!/, serviceDowntimes: 3 } });
    t.equal((await downtimes('db01')).length, 4);
    t.same(await actions.scheduleDowntime(http, { author: 'a', comment: 'c', durationSeconds: 60, fixed: true, allServices: true }), {
      ok: false,
      kind: 'invalid',
      message: 'web01!http is a service; all services applies to hosts',
    });
    t.same(await actions.removeDowntimes(checkable('db01'), { author: 'a', allServices: false }), { ok: true, value: { removed: 4, onServices: 3 } }, 'the children go with their host downtime');
    t.same(await downtimes('db01'), []);
    t.same(await actions.removeDowntimes(checkable('db01'), { author: 'a', allServices: false }), { ok: false, kind: 'conflict', message: 'db01 has no downtime' });
    t.same(await actions.removeDowntimes(checkable('db01'), { author: 'a', allServices: true }), { ok: false, kind: 'conflict', message: 'db01 and its services have no downtime' });

    await actions.scheduleDowntime(checkable('db01'), { author: 'a', comment: 'c', durationSeconds: 3600, fixed: true, allServices: true });
    await actions.scheduleDowntime(checkable('db01', 'load'), { author: 'a', comment: 'own', durationSeconds: 3600, fixed: false, allServices: false });
    t.same(await actions.removeDowntimes(checkable('db01', 'load'), { author: 'a', allServices: false }), { ok: true, value: { removed: 2, onServices: 0 } }, 'both of the service');
    t.same(await actions.removeDowntimes(checkable('db01'), { author: 'a', allServices: true }), { ok: true, value: { removed: 3, onServices: 2 } });
    t.same(await downtimes('db01'), []);
    t.same(await actions['removeDowntime']('db01!no-such-downtime', 'a'), { ok: true, value: undefined }, 'gone already is as good as removed');
    await t.rejects(actions['removeDowntime']('', 'a'), { message: 'refusing remove-downtime without a downtime name' });
  });

  t.test('status: pending, state and output, acknowledgement, downtime in effect', async (t) => {
    t.same(await actions.status(checkable('routeur-äöü', 'disk')), {
      ok: true,
      value: { target: checkable('routeur-äöü', 'disk'), state: undefined, stateType: undefined, since: undefined, output: undefined, downtimes: [] },
    });
    await actions.acknowledge(http, { ...options, comment: 'nginx crashed', expiresInSeconds: 600 });
    await actions.scheduleDowntime(http, { author: 'bob (via xmpp)', comment: 'upgrade', durationSeconds: 3600, fixed: true, allServices: false });
    await actions.scheduleDowntime(http, { author: 'carol', comment: 'already triggered', durationSeconds: 1800, fixed: false, allServices: false });
    const outcome = await actions.status(http);
    t.match(outcome, {
      ok: true,
      value: {
        target: http,
        state: 'CRITICAL',
        stateType: 'HARD',
        output: 'HTTP CRITICAL - refused',
        acknowledgement: { author: 'alice (via irc)', comment: 'nginx crashed' },
      },
    });
    if (!outcome.ok) throw new Error('unreachable');
    const ends = Object.fromEntries(outcome.value.downtimes.map(({ author, comment, end }) => [`${author}: ${comment}`, Math.round((end! - now()) / 60)]));
    t.same(ends, { 'bob (via xmpp): upgrade': 60, 'carol: already triggered': 30 }, 'a flexible downtime on a problem is triggered at once');
    t.ok(Math.abs(outcome.value.acknowledgement!.expiry! - (now() + 600)) < 5);
    t.ok(now() - outcome.value.since! < 60);
    t.match(await actions.status(checkable('web02')), { ok: true, value: { state: 'DOWN', output: 'PING CRITICAL - Packet loss = 100%' } });
    const ok = checkable('db01', 'http');
    await actions.scheduleDowntime(ok, { author: 'dave', comment: 'fixed', durationSeconds: 600, fixed: true, allServices: false });
    await actions.scheduleDowntime(ok, { author: 'erin', comment: 'waits for a problem', durationSeconds: 600, fixed: false, allServices: false });
    const quiet = await actions.status(ok);
    t.same(quiet.ok && [quiet.value.state, quiet.value.downtimes.map((downtime) => downtime.author)], ['OK', ['dave']], 'a flexible downtime without a problem is not in effect');
    await actions.removeDowntimes(ok, { author: 'a', allServices: false });
    await actions.removeDowntimes(http, { author: 'a', allServices: false });
    await actions.removeAcknowledgement(http, 'a');
  });

  t.test('problems: unhandled only, worst first, a pattern matched in the relay', async (t) => {
    const found = await actions.problems();
    t.same(found.ok && found.value.map((problem) => `${problem.state} ${problem.object}`), ['DOWN web02', 'CRITICAL web01!http', 'UNKNOWN db01!disk', 'WARNING web02!load']);
    await actions.acknowledge(checkable('web02'), options);
    const web = await actions.problems('web*');
    t.same(web.ok && web.value.map((problem) => problem.object), ['web01!http', 'web02!load'], 'acknowledged ones are handled');
    t.match(web, { ok: true, value: [{ object: 'web01!http', state: 'CRITICAL', output: 'HTTP CRITICAL - refused' }] });
  });

  t.test('recheck: forced, now', async (t) => {
    const before = (await attrs('web02!disk', ['last_check'])).last_check as number;
    t.same(await actions.recheck(checkable('web02', 'disk')), { ok: true, value: undefined });
    for (let i = 0; i < 50 && (await attrs('web02!disk', ['last_check'])).last_check === before; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.not((await attrs('web02!disk', ['last_check'])).last_check, before, 'the check ran');
  });

  t.test('Icinga2 unreachable: refused for 10 s of retries (a reload refuses for a moment), then said so', async (t) => {
    const port = await freePort();
    const connection = new IcingaConnection(`https://127.0.0.1:${port}`, { caPem: readFileSync(icinga.caFile, 'utf8'), auth: { method: 'password', ...icinga.users.relay } });
    connections.push(connection);
    const clock = new FakeClock();
    const told: string[] = [];
    const started = clock.now();
    const unreachable = new IcingaActions(connection, clock, { random: () => 0 }).onBehalfOf((text) => told.push(text));
    t.same(await settleOnFakeClock(clock, unreachable.status(http)), {
      ok: false,
      kind: 'unreachable',
      message: `cannot reach Icinga2: connection refused by 127.0.0.1:${port}: is Icinga2 running, and is icinga.url right?`,
    });
    t.equal(clock.now() - started, 10_000, 'retried for 10 s');
    t.same(told, ['Icinga2 refused the connection (it does while reloading): the relay retries for up to 10 s'], 'told once');
  });

  t.test('answers a healthy Icinga2 does not give, and failures in the middle of a sequence', async (t) => {
    const certs = join(icinga.dir, 'data', 'certs');
    // Answers in the order the requests come; each check uses all of its answers.
    const queue: { status: number; body: unknown }[] = [];
    const server: Server = createServer({ key: readFileSync(join(certs, 'localhost.key')), cert: readFileSync(join(certs, 'localhost.crt')) }, (request, response) => {
      request.resume();
      request.on('end', () => {
        const answer = queue.shift() ?? { status: 500, body: { error: 500, status: 'the test ran out of answers' } };
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const fake = actionsAs(icinga.users.relay, `https://127.0.0.1:${port}`);
    const answered = async <T>(answers: { status: number; body: unknown }[], call: () => Promise<T>): Promise<T> => {
      queue.splice(0, queue.length, ...answers);
      const result = await call();
      t.same(queue, [], 'every answer was asked for');
      return result;
    };
    const found = (...results: unknown[]) => ({ status: 200, body: { results } });
    const NONE = { status: 404, body: { error: 404, status: 'No objects found.' } };
    const DENIED = { status: 401, body: 'Unauthorized' };
    const rejected = { ok: false, kind: 'forbidden', message: 'Icinga2 rejected the relay: authentication failed (HTTP 401): check icinga.username and icinga.password' };
    const removal = { author: 'a', allServices: false };
    const downtime = { name: 'web01!http!1', attrs: { service_name: 'http' } };
    const critical = { state: 2, output: 'CRITICAL' };

    t.same(await answered([{ status: 502, body: { error: 502, status: 'Bad Gateway' } }], () => fake.status(http)), {
      ok: false,
      kind: 'invalid',
      message: 'Icinga2 could not list services: HTTP 502: Bad Gateway',
    });
    t.same(await answered([{ status: 409, body: { results: [{ code: 409, status: 'Something new.' }] } }], () => fake.acknowledge(http, options)), {
      ok: false,
      kind: 'conflict',
      message: 'Icinga2 refused to acknowledge web01!http: Something new.',
    });
    t.same(await answered([{ status: 500, body: { results: [{ code: 500 }] } }], () => fake.recheck(http)), {
      ok: false,
      kind: 'invalid',
      message: 'Icinga2 could not reschedule the check of web01!http: HTTP 500',
    });
    t.same(await answered([found({ code: 200 }, { status: 'no code' })], () => fake.recheck(http)), {
      ok: false,
      kind: 'invalid',
      message: 'Icinga2 could not reschedule the check of web01!http: no code',
    });
    t.same(await answered([found({})], () => fake.recheck(http)), { ok: false, kind: 'invalid', message: 'Icinga2 could not reschedule the check of web01!http: HTTP 200' });
    t.same(await answered([found({ code: 200, name: 'x!y' })], () => fake.scheduleDowntime(http, { author: 'a', comment: 'c', durationSeconds: 60, fixed: true, allServices: false })), {
      ok: true,
      value: { name: 'x!y', serviceDowntimes: 0 },
    });
    t.same(await answered([found({ code: 200 })], () => fake.scheduleDowntime(http, { author: 'a', comment: 'c', durationSeconds: 60, fixed: true, allServices: false })), {
      ok: true,
      value: { name: '', serviceDowntimes: 0 },
    });
    t.same(await answered([found(downtime, { attrs: {} }, 'junk'), found({})], () => fake.removeDowntimes(http, removal)), {
      ok: false,
      kind: 'invalid',
      message: 'Icinga2 could not remove downtime web01!http!1: HTTP 200',
    });
    t.same(await answered([found(), found()], () => fake.status(http)), {
      ok: false,
      kind: 'not-found',
      message: "no such service web01!http: the relay's Icinga2 API user sees no hosts at all; does it lack the permission objects/query/*?",
    });
    t.same(await answered([NONE, found({ name: 'web01' }), found({ name: 'web01!x' }, { name: 'web01!http', attrs: { name: 'http' } })], () => fake.status(checkable('web01', 'htp'))), {
      ok: false,
      kind: 'not-found',
      message: 'no such service web01!htp (did you mean web01!http?)',
    });
    t.same(await answered([{ status: 200, body: 'not an object' }, found()], () => fake.problems()), { ok: true, value: [] });

    // Whatever step fails, the outcome says so, and nothing after it is sent.
    t.same(await answered([NONE, NONE, DENIED], () => fake.acknowledge(checkable('web01'), options)), rejected, 'listing hosts for a suggestion');
    t.same(await answered([NONE, NONE, found({ name: 'web01' }), DENIED], () => fake.acknowledge(http, options)), rejected, 'listing services for a suggestion');
    t.same(await answered([NONE, DENIED], () => fake.recheck(http)), rejected, 'looking the object up after a 404');
    t.same(await answered([DENIED], () => fake.removeAcknowledgement(http, 'a')), rejected);
    t.same(await answered([DENIED], () => fake.removeDowntimes(http, removal)), rejected);
    t.same(await answered([found(), DENIED], () => fake.removeDowntimes(http, removal)), rejected, 'looking the object up when it has no downtime');
    t.same(await answered([found(downtime), DENIED], () => fake.removeDowntimes(http, removal)), rejected, 'removing');
    t.same(await answered([found(downtime), NONE, DENIED], () => fake.removeDowntimes(http, removal)), rejected, 'looking the downtime up after a 404');
    const service = (attrs: Record<string, unknown>) => found({ name: 'web01!http', attrs: { last_check_result: critical, ...attrs } });
    t.same(await answered([service({ acknowledgement: 1 }), DENIED], () => fake.status(http)), rejected, 'the acknowledgement comment');
    t.same(await answered([service({ downtime_depth: 1 }), DENIED], () => fake.status(http)), rejected, 'the downtimes');
    t.same(await answered([DENIED], () => fake.problems()), rejected, 'host problems');
    t.same(await answered([found(), DENIED], () => fake.problems()), rejected, 'service problems');

    // Attributes that are missing or empty read as absent.
    const seconds = now();
    const odd = await answered(
      [
        found({ name: 'web01!http', attrs: { acknowledgement: 1, downtime_depth: 1, last_check_result: { state: 2, output: ' \n ' } } }),
        found(),
        found(
          { name: 'fixed, no end', attrs: { fixed: true } },
          { name: 'flexible, not triggered', attrs: { fixed: false } },
          { name: 'flexible, no duration', attrs: { fixed: false, trigger_time: seconds - 10 } },
          { name: 'fixed, no start', attrs: { fixed: true, end_time: seconds + 60 } },
          { name: 'no attributes' },
        ),
      ],
      () => fake.status(http),
    );
    t.same(odd, {
      ok: true,
      value: {
        target: http,
        state: 'CRITICAL',
        stateType: undefined,
        since: undefined,
        output: undefined,
        acknowledgement: { author: undefined, comment: undefined, expiry: undefined },
        downtimes: [{ author: undefined, comment: undefined, end: seconds + 60 }],
      },
    });
    const problems = await answered(
      [
        found({ name: 'b', attrs: { last_check_result: { state: 2 } } }, { name: 'up', attrs: { last_check_result: { state: 0 } } }, { name: 'pending' }),
        found(
          { name: 'x!c', attrs: { last_check_result: { state: 1 } } },
          { name: 'x!b', attrs: { last_check_result: { state: 2 } } },
          { name: 'x!a', attrs: { last_check_result: { state: 2 } } },
          { name: 'x!b', attrs: { last_check_result: { state: 2 } } },
          { name: 'x!ok', attrs: { last_check_result: { state: 0 } } },
        ),
      ],
      () => fake.problems(),
    );
    t.same(problems.ok && problems.value.map((problem) => `${problem.state} ${problem.object}`), ['DOWN b', 'CRITICAL x!a', 'CRITICAL x!b', 'CRITICAL x!b', 'WARNING x!c']);
  });
});
