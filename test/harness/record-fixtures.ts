/**
 * Records real events and API answers from a real Icinga2 into fixtures/.
 * Run: npm run build && node dist/test/harness/record-fixtures.js [directory]
 * The directory is fixtures/ (Icinga2 2.13, the host's) unless given: the 2.14 ones are recorded with
 * ICINGA2_BIN=$(bash test/harness/icinga2-root.sh) node dist/test/harness/record-fixtures.js fixtures/icinga2-2.14
 * It drives a scenario that produces every event type in host and service variants, then writes
 * one file per chosen event (fixtures/events/<Type>-<variant>.json), the whole recorded stream
 * (fixtures/stream.ndjson), and API answers (fixtures/responses/<name>.json).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { EVENT_TYPES, type IcingaEvent } from '../../src/icinga/event-types.js';
import { FLAPPING_SERVICE, SOFT_SERVICE, startIcinga2, type Icinga2Instance } from './icinga2.js';

const fixturesDir = join(process.cwd(), process.argv[2] ?? 'fixtures');
const eventsDir = join(fixturesDir, 'events');
const responsesDir = join(fixturesDir, 'responses');

function recordStream(icinga: Icinga2Instance, lines: string[]): { close: () => void } {
  const dispatcher = new Agent({ connect: { ca: readFileSync(icinga.caFile) }, bodyTimeout: 0 });
  const controller = new AbortController();
  const { username, password } = icinga.users.full;
  void request(`${icinga.url}/v1/events`, {
    method: 'POST',
    dispatcher,
    signal: controller.signal,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64'),
    },
    body: JSON.stringify({ types: EVENT_TYPES, queue: `record-${process.pid}` }),
  })
    .then(async (response) => {
      let rest = '';
      for await (const chunk of response.body) {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        lines.push(...parts.filter((line) => line.length > 0));
      }
    })
    .catch(() => undefined);
  return { close: () => controller.abort() };
}

async function action(icinga: Icinga2Instance, name: string, body: unknown) {
  const answer = await icinga.api('POST', `/v1/actions/${name}`, body);
  if (answer.status >= 300) throw new Error(`${name}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer;
}

async function scenario(icinga: Icinga2Instance): Promise<void> {
  const now = () => Math.floor(Date.now() / 1000);
  // Everything starts from a known OK/UP state (these are the first results: vars_before is null).
  for (const host of ['web01', 'web02', 'db01', 'routeur-äöü']) {
    await icinga.processCheckResult(host, 0, 'PING OK - Packet loss = 0%, RTA = 0.10 ms');
    for (const service of ['http', 'disk', 'load']) await icinga.processCheckResult(`${host}!${service}`, 0, `${service.toUpperCase()} OK`);
  }
  await icinga.processCheckResult(`web01!${SOFT_SERVICE}`, 0, 'NTP OK: Offset 0.001 secs');
  await sleep(1500);
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - Unable to open TCP socket: connection refused');
  await icinga.processCheckResult('db01!disk', 1, 'DISK WARNING - free space: / 9% (2 GB)\n/var 12% (3 GB)\n/home 40% (80 GB)|/=18GB;;;0;20');
  await icinga.processCheckResult('web02!load', 3, 'LOAD UNKNOWN - ' + 'very long plugin output '.repeat(120));
  await icinga.processCheckResult('routeur-äöü', 1, 'PING CRITICAL - Packet loss = 100%');
  await icinga.processCheckResult('routeur-äöü!http', 2, 'HTTP CRITICAL - Zeitüberschreitung ✗');
  for (let attempt = 0; attempt < 3; attempt++) {
    await icinga.processCheckResult(`web01!${SOFT_SERVICE}`, 1, `NTP WARNING: Offset 1.${attempt} secs`);
  }
  await sleep(1500);
  await action(icinga, 'acknowledge-problem', {
    type: 'Service', service: 'web01!http', author: 'alice', comment: 'Looking into it, restarting nginx',
    sticky: true, notify: true, expiry: now() + 7200,
  });
  await action(icinga, 'acknowledge-problem', { type: 'Host', host: 'routeur-äöü', author: 'bob', comment: 'ISP ticket #4711' });
  const serviceComment = await action(icinga, 'add-comment', { type: 'Service', service: 'db01!disk', author: 'carol', comment: 'Log rotation broke, cleaning /var' });
  await action(icinga, 'add-comment', { type: 'Host', host: 'db01', author: 'carol', comment: 'Scheduled for replacement in Q1' });
  await sleep(1000);
  const commentName = ((serviceComment.json as { results: { name: string }[] }).results[0]).name;
  await action(icinga, 'remove-comment', { comment: commentName, author: 'carol' });
  await action(icinga, 'remove-acknowledgement', { type: 'Service', service: 'web01!http', author: 'alice' });
  await action(icinga, 'schedule-downtime', {
    type: 'Host', host: 'db01', author: 'dbadmin', comment: 'DB Tablespace Maintenance',
    start_time: now(), end_time: now() + 2 * 86400 + 3600, fixed: true, all_services: true,
  });
  await action(icinga, 'schedule-downtime', {
    type: 'Service', service: 'web02!load', author: 'dave', comment: 'Kernel upgrade, load spikes expected',
    start_time: now(), end_time: now() + 4 * 3600, fixed: false, duration: 1800,
  });
  await sleep(1500);
  await icinga.processCheckResult('web02!load', 2, 'LOAD CRITICAL - load average: 31.2, 20.1, 9.8');
  await sleep(1500);
  await action(icinga, 'remove-downtime', { type: 'Host', host: 'db01', author: 'dbadmin' });
  await action(icinga, 'remove-downtime', { type: 'Service', service: 'web02!load', author: 'dave' });
  await action(icinga, 'send-custom-notification', { type: 'Service', service: 'web01!http', author: 'alice', comment: 'Failover to web02 in progress', force: true });
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.002 second response time');
  await icinga.processCheckResult('routeur-äöü', 0, 'PING OK - Packet loss = 0%');
  await icinga.api('PUT', '/v1/objects/hosts/api-created', { attrs: { check_command: 'passive', enable_active_checks: false, address: '192.0.2.10' } });
  await icinga.api('POST', '/v1/objects/hosts/api-created', { attrs: { vars: { team: 'web', note: 'modified via API' } } });
  await icinga.api('DELETE', '/v1/objects/hosts/api-created?cascade=1');
  // Flapping: many state changes start it, a long run of OKs ends it.
  for (let i = 0; i < 24; i++) await icinga.processCheckResult(`web01!${FLAPPING_SERVICE}`, i % 2 === 0 ? 2 : 0, i % 2 === 0 ? 'FLAPPY CRITICAL' : 'FLAPPY OK');
  await sleep(500);
  for (let i = 0; i < 30; i++) await icinga.processCheckResult(`web01!${FLAPPING_SERVICE}`, 0, 'FLAPPY OK');
}

async function recordResponses(icinga: Icinga2Instance): Promise<void> {
  rmSync(responsesDir, { recursive: true, force: true });
  mkdirSync(responsesDir, { recursive: true });
  const save = (name: string, answer: unknown) => writeFileSync(join(responsesDir, `${name}.json`), JSON.stringify(answer, null, 2) + '\n');
  const get = (path: string, body: unknown) => icinga.api('POST', path, body);
  save('objects-hosts', await get('/v1/objects/hosts', { attrs: ['name', 'state', 'state_type', 'last_state_change', 'last_check_result', 'groups', 'vars', 'acknowledgement', 'downtime_depth'] }));
  save('status-icingaapplication', await icinga.api('GET', '/v1/status/IcingaApplication'));
  save('ack-ok-service', await icinga.api('POST', '/v1/actions/acknowledge-problem', { type: 'Service', service: 'web01!disk', author: 'a', comment: 'c' }));
  save('ack-unknown-service', await icinga.api('POST', '/v1/actions/acknowledge-problem', { type: 'Service', service: 'nohost!http', author: 'a', comment: 'c' }));
}

const icinga = await startIcinga2();
const lines: string[] = [];
try {
  const stream = recordStream(icinga, lines);
  await sleep(1000);
  await scenario(icinga);
  await recordResponses(icinga);
  // Icinga2 2.13 delivers events in ~5 s ticks.
  await sleep(8000);
  stream.close();
} finally {
  await icinga.destroy();
}

const events = lines.map((line) => JSON.parse(line) as IcingaEvent);
writeFileSync(join(fixturesDir, 'stream.ndjson'), lines.join('\n') + '\n');

type Pick = [name: string, test: (e: any) => boolean];
const isService = (e: any) => typeof e.service === 'string';
const picks: Pick[] = [
  ['CheckResult-service', (e) => e.type === 'CheckResult' && isService(e) && e.check_result?.state === 2],
  ['CheckResult-host', (e) => e.type === 'CheckResult' && !isService(e) && e.check_result?.state === 2],
  ['StateChange-service-first', (e) => e.type === 'StateChange' && isService(e) && e.check_result?.vars_before === null],
  ['StateChange-service-critical', (e) => e.type === 'StateChange' && e.service === 'http' && e.host === 'web01' && e.state === 2],
  ['StateChange-service-multiline', (e) => e.type === 'StateChange' && e.service === 'disk' && e.host === 'db01' && e.state === 1],
  ['StateChange-service-long-output', (e) => e.type === 'StateChange' && e.service === 'load' && e.state === 3],
  ['StateChange-service-soft', (e) => e.type === 'StateChange' && e.service === SOFT_SERVICE && e.state_type === 0],
  ['StateChange-service-hard-after-soft', (e) => e.type === 'StateChange' && e.service === SOFT_SERVICE && e.state_type === 1 && e.state === 1],
  ['StateChange-service-recovery', (e) => e.type === 'StateChange' && e.service === 'http' && e.host === 'web01' && e.state === 0 && e.check_result?.vars_before?.state === 2],
  ['StateChange-service-unicode', (e) => e.type === 'StateChange' && e.host === 'routeur-äöü' && e.service === 'http' && e.state === 2],
  ['StateChange-host-down', (e) => e.type === 'StateChange' && !isService(e) && e.state === 1],
  ['StateChange-host-up', (e) => e.type === 'StateChange' && !isService(e) && e.state === 0 && e.check_result?.vars_before?.state !== undefined && e.check_result.vars_before.state !== 0],
  ['Notification-service-problem', (e) => e.type === 'Notification' && e.notification_type === 'PROBLEM' && e.service === 'http' && e.host === 'web01'],
  ['Notification-service-problem-dba', (e) => e.type === 'Notification' && e.notification_type === 'PROBLEM' && e.host === 'db01' && e.users?.includes('dbadmin')],
  ['Notification-host-problem', (e) => e.type === 'Notification' && e.notification_type === 'PROBLEM' && !isService(e)],
  ['Notification-service-recovery', (e) => e.type === 'Notification' && e.notification_type === 'RECOVERY' && isService(e)],
  ['Notification-host-recovery', (e) => e.type === 'Notification' && e.notification_type === 'RECOVERY' && !isService(e)],
  ['Notification-service-acknowledgement', (e) => e.type === 'Notification' && e.notification_type === 'ACKNOWLEDGEMENT' && isService(e)],
  ['Notification-service-custom', (e) => e.type === 'Notification' && e.notification_type === 'CUSTOM'],
  ['Notification-host-downtimestart', (e) => e.type === 'Notification' && e.notification_type === 'DOWNTIMESTART' && !isService(e)],
  ['Notification-downtimeend', (e) => e.type === 'Notification' && e.notification_type === 'DOWNTIMEEND'],
  ['Notification-flappingstart', (e) => e.type === 'Notification' && e.notification_type === 'FLAPPINGSTART'],
  ['Notification-flappingend', (e) => e.type === 'Notification' && e.notification_type === 'FLAPPINGEND'],
  ['Flapping-service-start', (e) => e.type === 'Flapping' && e.is_flapping === true],
  ['Flapping-service-end', (e) => e.type === 'Flapping' && e.is_flapping === false],
  ['AcknowledgementSet-service-sticky', (e) => e.type === 'AcknowledgementSet' && isService(e)],
  ['AcknowledgementSet-host', (e) => e.type === 'AcknowledgementSet' && !isService(e)],
  ['AcknowledgementCleared-service', (e) => e.type === 'AcknowledgementCleared' && isService(e)],
  ['AcknowledgementCleared-host', (e) => e.type === 'AcknowledgementCleared' && !isService(e)],
  ['CommentAdded-service', (e) => e.type === 'CommentAdded' && e.comment?.service_name !== ''],
  ['CommentAdded-host', (e) => e.type === 'CommentAdded' && e.comment?.service_name === '' && e.comment?.author === 'carol'],
  ['CommentRemoved-service', (e) => e.type === 'CommentRemoved' && e.comment?.service_name !== ''],
  ['CommentRemoved-host', (e) => e.type === 'CommentRemoved' && e.comment?.service_name === ''],
  ['DowntimeAdded-host-fixed', (e) => e.type === 'DowntimeAdded' && e.downtime?.service_name === '' && e.downtime?.fixed === true],
  ['DowntimeAdded-service-child', (e) => e.type === 'DowntimeAdded' && e.downtime?.service_name !== '' && e.downtime?.parent],
  ['DowntimeAdded-service-flexible', (e) => e.type === 'DowntimeAdded' && e.downtime?.fixed === false],
  ['DowntimeStarted-host', (e) => e.type === 'DowntimeStarted' && e.downtime?.service_name === ''],
  ['DowntimeStarted-service', (e) => e.type === 'DowntimeStarted' && e.downtime?.service_name !== ''],
  ['DowntimeTriggered-host', (e) => e.type === 'DowntimeTriggered' && e.downtime?.service_name === ''],
  ['DowntimeTriggered-service-flexible', (e) => e.type === 'DowntimeTriggered' && e.downtime?.fixed === false],
  ['DowntimeRemoved-host', (e) => e.type === 'DowntimeRemoved' && e.downtime?.service_name === ''],
  ['DowntimeRemoved-service', (e) => e.type === 'DowntimeRemoved' && e.downtime?.service_name !== ''],
  ['ObjectCreated-host', (e) => e.type === 'ObjectCreated' && e.object_type === 'Host'],
  ['ObjectCreated-downtime', (e) => e.type === 'ObjectCreated' && e.object_type === 'Downtime'],
  ['ObjectCreated-comment', (e) => e.type === 'ObjectCreated' && e.object_type === 'Comment'],
  ['ObjectModified-host', (e) => e.type === 'ObjectModified' && e.object_type === 'Host'],
  ['ObjectDeleted-host', (e) => e.type === 'ObjectDeleted' && e.object_type === 'Host'],
  ['ObjectDeleted-downtime', (e) => e.type === 'ObjectDeleted' && e.object_type === 'Downtime'],
];

rmSync(eventsDir, { recursive: true, force: true });
mkdirSync(eventsDir, { recursive: true });
const missing: string[] = [];
for (const [name, test] of picks) {
  const event = events.find(test);
  if (!event) {
    missing.push(name);
    continue;
  }
  writeFileSync(join(eventsDir, `${name}.json`), JSON.stringify(event, null, 2) + '\n');
}
const counts: Record<string, number> = {};
for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
console.log(`recorded ${events.length} events:`, counts);
if (missing.length) console.log('no event matched:', missing.join(', '));
