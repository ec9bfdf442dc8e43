import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { EVENT_TYPES, type IcingaEvent } from '../../src/icinga/event-types.js';
import { FORMATTERS, formatEvent } from '../../formatters/index.js';
import { lineProblems } from './line-checks.js';

// Recorded from real Icinga2s by test/harness/record-fixtures.ts, the same scenario on each version:
// one event per file, <Type>-<variant>.json.
const VERSIONS = { '2.13': '../../fixtures/events/', '2.14': '../../fixtures/icinga2-2.14/events/' };

function readFixtures(fixtureDir: URL) {
  return readdirSync(fixtureDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      name: file.replace(/\.json$/, ''),
      event: JSON.parse(readFileSync(new URL(file, fixtureDir), 'utf8')) as IcingaEvent,
    }));
}

const WIDTH = 400;

/** The checkable as the raw event names it, read independently of the formatters. */
function expectedTarget(event: IcingaEvent): { host?: string; service?: string } {
  const attached = (event.comment ?? event.downtime) as Record<string, string> | undefined;
  if (typeof attached === 'object') {
    return { host: attached.host_name, service: attached.service_name || undefined };
  }
  if (event.object_type === 'Host') return { host: event.object_name as string };
  return { host: event.host as string | undefined, service: event.service as string | undefined };
}

type Expected = Record<string, { text: string; severity: string; state?: string; stateType?: string }>;
const EXPECTED: Expected = {
  'AcknowledgementCleared-host': {"text":"Acknowledgement cleared for routeur-äöü (now UP)","severity":"info","state":"UP","stateType":"HARD"},
  'AcknowledgementCleared-service': {"text":"Acknowledgement cleared for web01!http (now CRITICAL)","severity":"info","state":"CRITICAL","stateType":"HARD"},
  'AcknowledgementSet-host': {"text":"bob acknowledged routeur-äöü (no notification): ISP ticket #4711","severity":"info","state":"DOWN","stateType":"HARD"},
  'AcknowledgementSet-service-sticky': {"text":"alice acknowledged web01!http (sticky, expires in 2 hours): Looking into it, restarting nginx","severity":"info","state":"CRITICAL","stateType":"HARD"},
  'CheckResult-host': {"text":"routeur-äöü checked DOWN: PING CRITICAL - Packet loss = 100%","severity":"critical","state":"DOWN","stateType":"HARD"},
  'CheckResult-service': {"text":"web01!http checked CRITICAL: HTTP CRITICAL - Unable to open TCP socket: connection refused","severity":"critical","state":"CRITICAL","stateType":"HARD"},
  'CommentAdded-host': {"text":"carol commented on db01: Scheduled for replacement in Q1","severity":"info"},
  'CommentAdded-service': {"text":"alice commented on web01!http (acknowledgement): Looking into it, restarting nginx","severity":"info"},
  'CommentRemoved-host': {"text":"Comment (acknowledgement) by bob removed from routeur-äöü: ISP ticket #4711","severity":"info"},
  'CommentRemoved-service': {"text":"Comment by carol removed from db01!disk: Log rotation broke, cleaning /var","severity":"info"},
  'DowntimeAdded-host-fixed': {"text":"dbadmin scheduled downtime for db01 lasting 2 days, 1 hour because DB Tablespace Maintenance","severity":"info"},
  'DowntimeAdded-service-child': {"text":"dbadmin scheduled child downtime for db01!disk lasting 2 days, 1 hour because DB Tablespace Maintenance","severity":"info"},
  'DowntimeAdded-service-flexible': {"text":"dave scheduled flexible downtime for web02!load lasting 30 minutes because Kernel upgrade, load spikes expected","severity":"info"},
  'DowntimeRemoved-host': {"text":"Downtime removed for db01 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance","severity":"info"},
  'DowntimeRemoved-service': {"text":"Downtime removed for db01!http (child, 2 days, 1 hour, by dbadmin): DB Tablespace Maintenance","severity":"info"},
  'DowntimeStarted-host': {"text":"Downtime started for db01 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance","severity":"info"},
  'DowntimeStarted-service': {"text":"Downtime started for db01!disk (child, 2 days, 1 hour, by dbadmin): DB Tablespace Maintenance","severity":"info"},
  'DowntimeTriggered-host': {"text":"Downtime triggered for db01 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance","severity":"info"},
  'DowntimeTriggered-service-flexible': {"text":"Downtime triggered for web02!load (flexible, 30 minutes, by dave): Kernel upgrade, load spikes expected","severity":"info"},
  'Flapping-service-end': {"text":"web01!flappy stopped flapping (OK, 4% state changes)","severity":"ok","state":"OK","stateType":"HARD"},
  'Flapping-service-start': {"text":"web01!flappy started flapping (OK, 11.7% state changes)","severity":"warning","state":"OK","stateType":"HARD"},
  'Notification-downtimeend': {"text":"[DOWNTIMEEND] db01!http is OK: dbadmin: DB Tablespace Maintenance (notified oncall)","severity":"info","state":"OK"},
  'Notification-flappingend': {"text":"[FLAPPINGEND] web01!flappy is OK: FLAPPY OK (notified oncall)","severity":"info","state":"OK"},
  'Notification-flappingstart': {"text":"[FLAPPINGSTART] web01!flappy is OK: FLAPPY OK (notified oncall)","severity":"info","state":"OK"},
  'Notification-host-downtimestart': {"text":"[DOWNTIMESTART] db01 is UP: dbadmin: DB Tablespace Maintenance (notified oncall)","severity":"info","state":"UP"},
  'Notification-host-problem': {"text":"[PROBLEM] routeur-äöü is DOWN: PING CRITICAL - Packet loss = 100% (notified oncall)","severity":"critical","state":"DOWN"},
  'Notification-host-recovery': {"text":"[RECOVERY] routeur-äöü is UP: PING OK - Packet loss = 0% (notified oncall)","severity":"ok","state":"UP"},
  'Notification-service-acknowledgement': {"text":"[ACKNOWLEDGEMENT] web01!http is CRITICAL: alice: Looking into it, restarting nginx (notified oncall)","severity":"info","state":"CRITICAL"},
  'Notification-service-custom': {"text":"[CUSTOM] web01!http is CRITICAL: alice: Failover to web02 in progress (notified oncall)","severity":"info","state":"CRITICAL"},
  'Notification-service-problem-dba': {"text":"[PROBLEM] db01!disk is WARNING: DISK WARNING - free space: / 9% (2 GB) (notified dbadmin)","severity":"warning","state":"WARNING"},
  'Notification-service-problem': {"text":"[PROBLEM] web01!http is CRITICAL: HTTP CRITICAL - Unable to open TCP socket: connection refused (notified oncall)","severity":"critical","state":"CRITICAL"},
  'Notification-service-recovery': {"text":"[RECOVERY] web01!http is OK: HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.002 second response time (notified oncall)","severity":"ok","state":"OK"},
  'ObjectCreated-comment': {"text":"Icinga2 object created: Comment web01!http!cde62e77-4012-473f-bf18-49150f80754a","severity":"info"},
  'ObjectCreated-downtime': {"text":"Icinga2 object created: Downtime db01!6332dbad-4e76-4562-ac0d-d602e7ceed79","severity":"info"},
  'ObjectCreated-host': {"text":"Icinga2 object created: Host api-created","severity":"info"},
  'ObjectDeleted-downtime': {"text":"Icinga2 object deleted: Downtime db01!http!d34df5bc-d2ad-4d9c-bc66-9a32e80e81ad","severity":"info"},
  'ObjectDeleted-host': {"text":"Icinga2 object deleted: Host api-created","severity":"info"},
  'ObjectModified-host': {"text":"Icinga2 object modified: Host api-created","severity":"info"},
  'StateChange-host-down': {"text":"DOWN routeur-äöü: PING CRITICAL - Packet loss = 100% (was UP)","severity":"critical","state":"DOWN","stateType":"HARD"},
  'StateChange-host-up': {"text":"UP routeur-äöü: PING OK - Packet loss = 0% (was DOWN)","severity":"ok","state":"UP","stateType":"HARD"},
  'StateChange-service-critical': {"text":"CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused (was OK)","severity":"critical","state":"CRITICAL","stateType":"HARD"},
  'StateChange-service-first': {"text":"OK web01!http: HTTP OK","severity":"ok","state":"OK","stateType":"HARD"},
  'StateChange-service-hard-after-soft': {"text":"WARNING web01!ntp: NTP WARNING: Offset 1.2 secs (was OK)","severity":"warning","state":"WARNING","stateType":"HARD"},
  'StateChange-service-multiline': {"text":"WARNING db01!disk: DISK WARNING - free space: / 9% (2 GB) (was OK)","severity":"warning","state":"WARNING","stateType":"HARD"},
  'StateChange-service-recovery': {"text":"OK web01!http: HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.002 second response time (was CRITICAL)","severity":"ok","state":"OK","stateType":"HARD"},
  'StateChange-service-soft': {"text":"WARNING (soft) web01!ntp: NTP WARNING: Offset 1.0 secs (was OK)","severity":"warning","state":"WARNING","stateType":"SOFT"},
  'StateChange-service-unicode': {"text":"CRITICAL routeur-äöü!http: HTTP CRITICAL - Zeitüberschreitung ✗ (was OK)","severity":"critical","state":"CRITICAL","stateType":"HARD"},
};

/** Where a version's recording gives other lines: the names Icinga2 made up for runtime objects. */
const EXPECTED_BY_VERSION: Record<string, Expected> = {
  '2.14': {
    'ObjectCreated-comment': {"text":"Icinga2 object created: Comment web01!http!068b80eb-eb66-40ff-b598-1026e6dfabdd","severity":"info"},
    'ObjectCreated-downtime': {"text":"Icinga2 object created: Downtime db01!f14cf68a-9ba8-4c63-af7a-0cc3cd878adc","severity":"info"},
    'ObjectDeleted-downtime': {"text":"Icinga2 object deleted: Downtime db01!http!7000ec23-8b4e-4122-b36a-86e5e83ce91a","severity":"info"},
  },
};

for (const [version, path] of Object.entries(VERSIONS)) {
t.test(`Icinga2 ${version}`, async (t) => {
const fixtureDir = new URL(path, import.meta.url);
const fixtures = readFixtures(fixtureDir);
const expected = { ...EXPECTED, ...EXPECTED_BY_VERSION[version] };

t.test('fixtures cover every event type', async (t) => {
  const recorded = new Set(fixtures.map((fixture) => fixture.event.type));
  for (const type of EVENT_TYPES) t.ok(recorded.has(type), `a fixture of ${type}`);
});

t.test('every fixture gives its exact line and facts', async (t) => {
  for (const { name, event } of fixtures) {
    const want = expected[name];
    if (want === undefined) continue;
    const message = formatEvent(event, { width: WIDTH });
    t.equal(message.text, want.text, `${name}: text`);
    t.equal(message.severity, want.severity, `${name}: severity`);
    t.equal(message.state, want.state, `${name}: state`);
    t.equal(message.stateType, want.stateType, `${name}: state type`);
  }
});

t.test('every fixture, at any width, is one clean line about the right object', async (t) => {
  for (const { name, event } of fixtures) {
    const formatter = FORMATTERS[event.type as keyof typeof FORMATTERS];
    t.ok(formatter, `${name}: its type has a formatter`);
    const target = expectedTarget(event);
    for (const width of [WIDTH, 80, 40, 12]) {
      const message = formatter(event, { width, previousStateSince: 1795440000 });
      t.same(lineProblems(message, width), [], `${name} at width ${width}`);
      t.equal(message.eventType, event.type, `${name}: event type`);
      t.equal(message.timestamp, event.timestamp, `${name}: timestamp`);
      t.equal(message.host, target.host, `${name}: host`);
      t.equal(message.service, target.service, `${name}: service`);
      t.same(formatEvent(event, { width, previousStateSince: 1795440000 }), message, `${name}: formatEvent agrees`);
    }
  }
});

t.test('long plugin output is cut, the object and the previous state are kept', async (t) => {
  const { event } = fixtures.find((fixture) => fixture.name === 'StateChange-service-long-output')!;
  const message = formatEvent(event, { width: 120 });
  t.equal(message.text.length, 120);
  t.match(message.text, /^UNKNOWN web02!load: LOAD UNKNOWN - very long plugin output .*\u2026 \(was OK\)$/);
  t.match(message.fields.output, /^LOAD UNKNOWN - very long plugin output/, 'the output field is not cut');
});

t.test('a state change says how long the previous state lasted', async (t) => {
  const { event } = fixtures.find((fixture) => fixture.name === 'StateChange-service-critical')!;
  const since = (event.timestamp as number) - (2 * 3600 + 3 * 60);
  const message = formatEvent(event, { width: WIDTH, previousStateSince: since });
  t.equal(
    message.text,
    'CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused (was OK for 2 hours, 3 minutes)',
  );
  t.equal(message.fields.duration, '2 hours, 3 minutes');
  t.equal(message.fields.previous_state, 'OK');
});

t.test('the recorded stream formats line by line without a fallback', async (t) => {
  const lines = readFileSync(new URL('../stream.ndjson', fixtureDir), 'utf8').split('\n').filter(Boolean);
  t.ok(lines.length > 0, 'the stream has events');
  for (const [index, line] of lines.entries()) {
    const message = formatEvent(JSON.parse(line) as IcingaEvent, { width: 100 });
    t.same(lineProblems(message, 100), [], `line ${index + 1}`);
    t.equal(message.fields.format_error, undefined, `line ${index + 1}: no formatter failed`);
  }
});
});
}
