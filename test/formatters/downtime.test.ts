import t from 'tap';
import { formatDowntimeAdded } from '../../formatters/downtime-added.js';
import { formatDowntimeRemoved } from '../../formatters/downtime-removed.js';
import { formatDowntimeStarted } from '../../formatters/downtime-started.js';
import { formatDowntimeTriggered } from '../../formatters/downtime-triggered.js';

const context = { width: 200 };

/** The old Python bot's example: dbcow22 down for DB maintenance, 1493430112 to 1493606512. */
function dbcow22(type: string, downtime: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    type,
    timestamp: 1493430112.5,
    downtime: {
      author: 'dbadmin',
      comment: 'DB Tablespace Maintenance',
      host_name: 'dbcow22',
      service_name: '',
      start_time: 1493430112,
      end_time: 1493606512,
      duration: 0,
      fixed: true,
      parent: '',
      trigger_time: 0,
      remove_time: 0,
      name: '6332dbad',
      ...downtime,
    },
    ...overrides,
  };
}

t.test("the old bot's dbcow22 example reads naturally", async (t) => {
  const message = formatDowntimeAdded(dbcow22('DowntimeAdded'), context);
  t.equal(message.text, 'dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour because DB Tablespace Maintenance');
  t.equal(message.severity, 'info');
  t.equal(message.host, 'dbcow22');
  t.equal(message.service, undefined);
  t.equal(message.timestamp, 1493430112.5);
  t.same(message.fields, {
    type: 'DowntimeAdded',
    host: 'dbcow22',
    object: 'dbcow22',
    author: 'dbadmin',
    comment: 'DB Tablespace Maintenance',
    duration: '2 days, 1 hour',
    fixed: true,
    start_time: 1493430112,
    end_time: 1493606512,
    downtime_name: '6332dbad',
  });
});

t.test('flexible downtimes say so and last their duration, not the window', async (t) => {
  const message = formatDowntimeAdded(
    dbcow22('DowntimeAdded', { fixed: false, duration: 1800, host_name: 'web02', service_name: 'load', comment: 'Kernel upgrade' }),
    context,
  );
  t.equal(message.text, 'dbadmin scheduled flexible downtime for web02!load lasting 30 minutes because Kernel upgrade');
  t.equal(message.service, 'load');
  t.equal(message.fields.duration, '30 minutes');
});

t.test('child downtimes are marked as such', async (t) => {
  const parent = 'dbcow22!6332dbad';
  const added = formatDowntimeAdded(dbcow22('DowntimeAdded', { service_name: 'disk', parent }), context);
  t.equal(added.text, 'dbadmin scheduled child downtime for dbcow22!disk lasting 2 days, 1 hour because DB Tablespace Maintenance');
  t.equal(added.fields.parent, parent);
  const flexibleChild = formatDowntimeStarted(dbcow22('DowntimeStarted', { parent, fixed: false, duration: 60 }), context);
  t.equal(flexibleChild.text, 'Downtime started for dbcow22 (flexible child, 1 minute, by dbadmin): DB Tablespace Maintenance');
});

t.test('a downtime set for later says when it starts', async (t) => {
  const message = formatDowntimeAdded(dbcow22('DowntimeAdded', {}, { timestamp: 1493430112 - 3 * 3600 }), context);
  t.equal(message.text, 'dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour (starts in 3 hours) because DB Tablespace Maintenance');
  t.equal(message.fields.starts_in, '3 hours');
  const soon = formatDowntimeAdded(dbcow22('DowntimeAdded', {}, { timestamp: 1493430112 - 30 }), context);
  t.notOk('starts_in' in soon.fields, 'a start half a minute away is "now"');
});

t.test('a downtime added without comment, author or times', async (t) => {
  t.equal(
    formatDowntimeAdded(dbcow22('DowntimeAdded', { comment: '', author: null, start_time: null }), context).text,
    'Someone scheduled downtime for dbcow22',
  );
  t.equal(
    formatDowntimeAdded(dbcow22('DowntimeAdded', { comment: null }, { timestamp: 1493430112 - 7200 }), context).text,
    'dbadmin scheduled downtime for dbcow22 lasting 2 days, 1 hour (starts in 2 hours)',
  );
});

t.test('started and triggered downtimes', async (t) => {
  t.equal(
    formatDowntimeStarted(dbcow22('DowntimeStarted'), context).text,
    'Downtime started for dbcow22 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance',
  );
  const triggered = formatDowntimeTriggered(
    dbcow22('DowntimeTriggered', { fixed: false, duration: 7200, service_name: 'http', trigger_time: 1493430200 }),
    context,
  );
  t.equal(triggered.text, 'Downtime triggered for dbcow22!http (flexible, 2 hours, by dbadmin): DB Tablespace Maintenance');
  t.equal(triggered.severity, 'info');
  t.equal(
    formatDowntimeTriggered(dbcow22('DowntimeTriggered', { author: '', comment: '', end_time: null }), context).text,
    'Downtime triggered for dbcow22',
  );
});

t.test('a removed downtime is "ended" when it ran its course, "removed" when cut short', async (t) => {
  const early = formatDowntimeRemoved(dbcow22('DowntimeRemoved', { remove_time: 1493500000 }), context);
  t.equal(early.text, 'Downtime removed for dbcow22 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance');
  const expired = formatDowntimeRemoved(dbcow22('DowntimeRemoved', { remove_time: 1493606520 }), context);
  t.equal(expired.text, 'Downtime ended for dbcow22 (2 days, 1 hour, by dbadmin): DB Tablespace Maintenance');
  const flexible = { fixed: false, duration: 3600, trigger_time: 1493440000 };
  t.match(formatDowntimeRemoved(dbcow22('DowntimeRemoved', { ...flexible, remove_time: 1493443650 }), context).text, /^Downtime ended /);
  t.match(formatDowntimeRemoved(dbcow22('DowntimeRemoved', { ...flexible, remove_time: 1493441000 }), context).text, /^Downtime removed /);
  const untriggered = { fixed: false, duration: 3600, trigger_time: 0 };
  t.match(formatDowntimeRemoved(dbcow22('DowntimeRemoved', { ...untriggered, remove_time: 1493606600 }), context).text, /^Downtime ended /);
  t.match(formatDowntimeRemoved(dbcow22('DowntimeRemoved', { remove_time: null }), context).text, /^Downtime removed /);
});

t.test('a long downtime comment is cut, the facts before it stay', async (t) => {
  const message = formatDowntimeStarted(dbcow22('DowntimeStarted', { comment: 'Maintenance\n' + 'details '.repeat(50) }), { width: 90 });
  t.equal(message.text.length, 90);
  t.ok(message.text.startsWith('Downtime started for dbcow22 (2 days, 1 hour, by dbadmin): Maintenance / details'));
});

t.test('downtime events without a downtime object or host fall back to the generic line', async (t) => {
  const formatters = [formatDowntimeAdded, formatDowntimeRemoved, formatDowntimeStarted, formatDowntimeTriggered];
  for (const formatter of formatters) {
    for (const downtime of [undefined, null, 'x', [], { host_name: '', comment: 'no host' }]) {
      t.equal(formatter({ type: 'DowntimeAdded', downtime }, context).text, 'Icinga2 event DowntimeAdded');
    }
  }
});
