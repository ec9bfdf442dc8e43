/**
 * Actions around an Icinga2 reload, against a fake HTTPS Icinga2 that answers what the test says
 * (the real daemon's side is in test/commands/reload-real.test.ts): 2.14's 503 "Icinga is
 * reloading" is retried with backoff for up to 30 s on a fake clock, the person told once; an
 * action 2.13 answered OK and then lost is found missing after the reconnect and done again; a
 * 403 for a missing permission names it, in the log and in the chat answer.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkable, IcingaActions } from '../../src/icinga/actions.js';
import { IcingaConnection } from '../../src/icinga/connection.js';
import { memoryLogger } from '../../src/log.js';
import { freePort, makeCertificates } from '../harness/icinga2.js';
import { FakeClock, settleOnFakeClock } from '../helpers/fake-clock.js';
import { chat, dispatcherWithFakes } from '../commands/helpers.js';

const certDir = await mkdtemp(join(tmpdir(), 'icinga-relay-reload-actions-'));
t.teardown(() => rm(certDir, { recursive: true, force: true }));
await makeCertificates(certDir, 'unused');

interface Answer {
  status: number;
  body: unknown;
}
const queue: Answer[] = [];
const requests: { path: string; body: Record<string, unknown> }[] = [];
const server: Server = createServer({ key: readFileSync(join(certDir, 'localhost.key')), cert: readFileSync(join(certDir, 'localhost.crt')) }, (request, response) => {
  let text = '';
  request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  request.on('end', () => {
    requests.push({ path: request.url ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
    const answer = queue.shift() ?? { status: 500, body: { error: 500, status: 'the test ran out of answers' } };
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
});
const port = await freePort();
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const connection = new IcingaConnection(`https://127.0.0.1:${port}`, { caPem: readFileSync(join(certDir, 'ca.crt'), 'utf8'), auth: { method: 'password', username: 'u', password: 'p' } });
t.teardown(() => connection.close());

const http = checkable('web01', 'http');
const RELOADING = { status: 503, body: { results: [{ code: 503, status: 'Icinga is reloading.' }] } };
const NONE = { status: 404, body: { error: 404, status: 'No objects found.' } };
const added = (name: string) => ({ status: 200, body: { results: [{ code: 200, legacy_id: 1, name, status: `Successfully added comment '${name}' for object 'web01!http'.` }] } });
const found = (...results: unknown[]) => ({ status: 200, body: { results } });

/** Actions on a fake clock (the connection's own timeouts stay real), telling into `told`. */
function setup() {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const told: string[] = [];
  const actions = new IcingaActions(connection, clock, { random: () => 0, logger });
  return { clock, logger, told, actions, forAlice: actions.onBehalfOf((text) => told.push(text)) };
}

/** Answers for the requests to come, in order; the previous ones must all have been asked for. */
function answering(t: Test, answers: Answer[]): void {
  t.same(queue, [], 'every answer before was asked for');
  queue.splice(0, queue.length, ...answers);
  requests.splice(0);
}

t.test('503 "Icinga is reloading" three times, then done: retried with backoff, told once, then the outcome', async (t) => {
  const { clock, told, forAlice } = setup();
  answering(t, [RELOADING, RELOADING, RELOADING, added('web01!http!c1')]);
  const started = clock.now();
  t.same(await settleOnFakeClock(clock, forAlice.addComment(http, 'alice', 'disk swap')), { ok: true, value: undefined });
  t.same(told, ['Icinga2 answered "Icinga is reloading." (it does while reloading): the relay retries for up to 30 s']);
  t.equal(requests.length, 4, 'the same request, four times');
  t.ok(requests.every((request) => request.path === '/v1/actions/add-comment' && request.body.comment === 'disk swap'));
  // Backoff with no jitter (random 0): 250, 500, 1000 ms.
  t.equal(clock.now() - started, 1750);
  answering(t, []);
});

t.test('503 for longer than 30 s: the command fails, saying Icinga2 was still reloading', async (t) => {
  const { clock, told, forAlice } = setup();
  answering(t, Array.from({ length: 12 }, () => RELOADING));
  const started = clock.now();
  t.same(await settleOnFakeClock(clock, forAlice.addComment(http, 'alice', 'disk swap')), {
    ok: false,
    kind: 'unreachable',
    message: 'Icinga2 still answered "Icinga is reloading." after 30 s of retries',
  });
  t.equal(clock.now() - started, 30_000);
  t.equal(requests.length, 12, 'backoff 250 ms doubling to 4 s: 12 tries in 30 s');
  t.equal(told.length, 1, 'told once, however many retries');
  answering(t, []);
});

t.test('200, then Icinga2 shows nothing: after the reconnect the comment is found missing, added again, the person told', async (t) => {
  const { clock, told, forAlice, actions } = setup();
  answering(t, [added('web01!http!lost'), NONE, added('web01!http!again'), found({ name: 'web01!http!again', attrs: {} })]);
  t.same(await forAlice.addComment(http, 'alice', 'disk swap'), { ok: true, value: undefined });
  await actions.verifyRecent();
  t.same(requests[1], { path: '/v1/objects/comments', body: { comment: 'web01!http!lost', attrs: ['name'] } }, 'looked up by its exact name, no filter');
  t.same(requests[2].body, { author: 'alice', comment: 'disk swap', type: 'Service', service: 'web01!http' });
  t.same(told, ['Icinga2 lost the comment on web01!http in a reload; the relay added it again']);
  clock.advance(10_000);
  await actions.verifyRecent();
  t.same(told.length, 1, 'present now: nothing more to say');
  clock.advance(30_000);
  await actions.verifyRecent();
  t.equal(requests.length, 4, 'after 30 s it is no longer checked');
  answering(t, []);
});

t.test('a check that cannot be made is said so, not taken for done', async (t) => {
  const { told, forAlice, actions, logger } = setup();
  answering(t, [added('web01!http!c9'), { status: 500, body: { error: 500, status: 'boom' } }]);
  t.same(await forAlice.addComment(http, 'alice', 'disk swap'), { ok: true, value: undefined });
  await actions.verifyRecent();
  t.same(told, ['Icinga2 reloaded; the relay could not check that it still has the comment on web01!http: Icinga2 could not list comments: HTTP 500: boom']);
  t.ok(logger.lines.some((line) => /cannot check an action after Icinga2 reconnected/.test(line)));
  answering(t, []);
  await actions.verifyRecent();
  t.equal(requests.length, 0, 'told once: not checked again');
});

t.test('acknowledgements and downtimes lost the same way; one not needed any more is said so; what the relay removed itself is not brought back', async (t) => {
  const { told, forAlice, actions } = setup();
  const ackOptions = { author: 'alice', comment: 'on it', sticky: false, notify: false, persistent: false };
  const ok = { status: 200, body: { results: [{ code: 200, status: 'Successfully acknowledged problem' }] } };
  const scheduled = (name: string) => ({ status: 200, body: { results: [{ code: 200, name, status: 'Successfully scheduled downtime' }] } });
  const notAcknowledged = found({ name: 'web01!http', attrs: { acknowledgement: 0 } });
  answering(t, [
    ok,
    scheduled('db01!dt1'),
    // The check: the ack is gone, Icinga2 refuses it again (recovered); the downtime is gone and scheduled again.
    notAcknowledged,
    { status: 409, body: { results: [{ code: 409, status: 'Service web01!http is OK.' }] } },
    NONE,
    scheduled('db01!dt2'),
  ]);
  t.same(await forAlice.acknowledge(http, ackOptions), { ok: true, value: undefined });
  t.match(await forAlice.scheduleDowntime(checkable('db01'), { author: 'alice', comment: 'swap', durationSeconds: 600, fixed: true, allServices: true }), { ok: true });
  await actions.verifyRecent();
  t.same(told, [
    'Icinga2 no longer has the acknowledgement of web01!http after a reload, and it is not needed now: web01!http is OK, nothing to acknowledge',
    'Icinga2 lost the downtime of db01 and its services in a reload; the relay scheduled it again, from now',
  ]);
  t.match(requests[5], { path: '/v1/actions/schedule-downtime', body: { host: 'db01', all_services: true, duration: 600 } });

  // The relay's own undowntime: the downtime is meant to be gone.
  answering(t, [found({ name: 'db01!dt2', attrs: { service_name: '', parent: '' } }), found({ code: 200, status: 'removed' })]);
  t.match(await forAlice.removeDowntimes(checkable('db01'), { author: 'alice', allServices: true }), { ok: true });
  answering(t, []);
  await actions.verifyRecent();
  t.equal(requests.length, 0, 'nothing left to check');
  t.equal(told.length, 2);
});

t.test('403 "Missing permission: filter-expression": named in the log and in the chat answer', async (t) => {
  const { logger, actions } = setup();
  answering(t, [{ status: 403, body: { error: 403, status: 'Missing permission: filter-expression' } }]);
  const { say } = dispatcherWithFakes({ actions });
  t.same(await say(chat('!problems', 'irc:bob')), [
    "the relay's Icinga2 API user lacks the permission filter-expression (Icinga2 answered 403: Missing permission: filter-expression)",
  ]);
  t.ok(
    logger.lines.some((line) => /lacks a permission/.test(line) && /permission=filter-expression/.test(line)),
    `the log names it: ${logger.lines.join('\n')}`,
  );

  // Where the filter only finds a suggestion, the answer goes on without one.
  answering(t, [NONE, NONE, found({ name: 'web01' }), { status: 403, body: { error: 403, status: 'Missing permission: filter-expression' } }]);
  t.same(await actions.recheck(checkable('web01', 'htp')), { ok: false, kind: 'not-found', message: 'no such service web01!htp' });
  answering(t, []);
});
