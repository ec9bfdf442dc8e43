/**
 * Routing against a real Icinga2: the object cache loads hosts and services, follows API object
 * changes through the Object* events (subscribed to internally, never relayed), reloads after a
 * reconnect, and a real event for db01 goes to the `vars: { team: db }` route only.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { relayConfig, waitUntil } from '../commands/helpers.js';
import { FakeBackend } from '../helpers/fake-backend.js';

// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;

t.test('routes by custom vars from the object cache, kept current by Object* events', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const config = relayConfig(
    icinga,
    [
      'chat:',
      '  irc:',
      '    server: irc.example.org',
      '    channels: ["#ops", "#db"]',
      'routes:',
      '  - match: { vars: { team: db } }',
      '    to: irc:#db',
      '    stop: true',
      '  - to: irc:#ops',
    ].join('\n'),
  );
  const backend = new FakeBackend('irc', ['irc:#ops', 'irc:#db']);
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  const objects = relay.objects!;
  await waitUntil(() => objects.size > 0, 10_000, 'the object cache to load');
  t.match(objects.lookup('db01'), { groups: ['databases'], vars: { team: 'db' } });
  t.match(objects.lookup('web01'), { groups: [], vars: { team: 'web' } });
  t.ok(objects.lookup('routeur-äöü!http'), 'services too, by host!service');

  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL - / is full');
  await icinga.processCheckResult('web01!disk', 2, 'DISK CRITICAL - /var is full');
  const changes = () => backend.sent.filter(({ message }) => message.eventType === 'StateChange');
  await waitUntil(() => changes().length >= 2, EVENT_WAIT_MS, 'both state changes');
  t.same(
    changes().map(({ destination, message }) => [destination, message.service === undefined ? message.host : `${message.host}!${message.service}`]).sort(),
    [['irc:#db', 'db01!disk'], ['irc:#ops', 'web01!disk']],
    'db01 (vars.team db) to #db only, web01 to #ops only',
  );

  const created = await icinga.api('PUT', '/v1/objects/hosts/api-db02', {
    attrs: { check_command: 'passive', enable_active_checks: false, max_check_attempts: 1, vars: { team: 'db' } },
  });
  t.equal(created.status, 200, 'host created');
  await waitUntil(() => objects.lookup('api-db02')?.vars.team === 'db', EVENT_WAIT_MS, 'ObjectCreated to reach the cache');
  const modified = await icinga.api('POST', '/v1/objects/hosts/api-db02', { attrs: { 'vars.team': 'web' } });
  t.equal(modified.status, 200, 'host modified');
  await waitUntil(() => objects.lookup('api-db02')?.vars.team === 'web', EVENT_WAIT_MS, 'ObjectModified to reach the cache');
  const deleted = await icinga.api('DELETE', '/v1/objects/hosts/api-db02?cascade=1');
  t.equal(deleted.status, 200, 'host deleted');
  await waitUntil(() => objects.lookup('api-db02') === undefined, EVENT_WAIT_MS, 'ObjectDeleted to reach the cache');
  t.notOk(backend.sent.some(({ message }) => message.eventType.startsWith('Object')), 'Object* events are not relayed: the user did not list them');

  const loads = () => logger.lines.filter((line) => line.includes('host and service metadata loaded')).length;
  const before = loads();
  await icinga.reload();
  await waitUntil(() => loads() > before, 20_000, 'a reload after the stream reconnects');
  t.match(objects.lookup('db01'), { vars: { team: 'db' } });
});
