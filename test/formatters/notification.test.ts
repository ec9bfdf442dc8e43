import t from 'tap';
import { formatNotification } from '../../formatters/notification.js';

const context = { width: 200 };

function notification(notificationType: unknown, overrides: Record<string, unknown> = {}) {
  return {
    type: 'Notification',
    timestamp: 1700000000,
    host: 'web01',
    service: 'http',
    notification_type: notificationType,
    users: ['oncall', 'dbadmin'],
    author: '',
    text: '',
    check_result: { output: 'connection refused\nretried 3 times', state: 2 },
    ...overrides,
  };
}

t.test('a problem names type, object, state, output and who was notified', async (t) => {
  const message = formatNotification(notification('PROBLEM'), context);
  t.equal(message.text, '[PROBLEM] web01!http is CRITICAL: connection refused (notified oncall, dbadmin)');
  t.equal(message.severity, 'critical');
  t.equal(message.state, 'CRITICAL');
  t.equal(message.stateType, undefined, 'notifications carry no state type');
  t.same(message.fields, {
    type: 'Notification',
    host: 'web01',
    service: 'http',
    object: 'web01!http',
    state: 'CRITICAL',
    notification_type: 'PROBLEM',
    output: 'connection refused',
    users: 'oncall, dbadmin',
  });
});

t.test('severity follows the notification type, and the state for problems', async (t) => {
  const warning = formatNotification(notification('PROBLEM', { check_result: { state: 1, output: 'slow' } }), context);
  t.equal(warning.severity, 'warning');
  const unknown = formatNotification(notification('PROBLEM', { check_result: { state: 3, output: '?' } }), context);
  t.equal(unknown.severity, 'unknown');
  const recovery = formatNotification(notification('RECOVERY', { check_result: { state: 0, output: 'HTTP OK' } }), context);
  t.equal(recovery.severity, 'ok');
  t.equal(recovery.text, '[RECOVERY] web01!http is OK: HTTP OK (notified oncall, dbadmin)');
  for (const other of ['ACKNOWLEDGEMENT', 'CUSTOM', 'DOWNTIMESTART', 'DOWNTIMEEND', 'FLAPPINGSTART', 'FLAPPINGEND']) {
    t.equal(formatNotification(notification(other), context).severity, 'info', other);
  }
});

t.test('a host problem reads DOWN from the service-scale check result', async (t) => {
  const message = formatNotification(
    notification('PROBLEM', { host: 'db01', service: undefined, check_result: { state: 2, output: 'PING CRITICAL' } }),
    context,
  );
  t.equal(message.text, '[PROBLEM] db01 is DOWN: PING CRITICAL (notified oncall, dbadmin)');
  t.equal(message.severity, 'critical');
  t.equal(message.service, undefined);
});

t.test('author and text, when given, say more than the output', async (t) => {
  const ack = formatNotification(notification('ACKNOWLEDGEMENT', { author: 'alice', text: 'looking into it' }), context);
  t.equal(ack.text, '[ACKNOWLEDGEMENT] web01!http is CRITICAL: alice: looking into it (notified oncall, dbadmin)');
  t.equal(ack.fields.author, 'alice');
  t.equal(ack.fields.comment, 'looking into it');
  const anonymous = formatNotification(notification('CUSTOM', { author: null, text: 'failover\nin progress' }), context);
  t.equal(anonymous.text, '[CUSTOM] web01!http is CRITICAL: failover / in progress (notified oncall, dbadmin)');
});

t.test('without users, type or output the line shrinks without stray punctuation', async (t) => {
  const bare = formatNotification({ type: 'Notification', host: 'web01', service: 'http' }, context);
  t.equal(bare.text, 'web01!http');
  t.equal(bare.severity, 'info');
  const noUsers = formatNotification(notification('PROBLEM', { users: [] }), context);
  t.equal(noUsers.text, '[PROBLEM] web01!http is CRITICAL: connection refused');
  const oddUsers = formatNotification(notification('PROBLEM', { users: 'oncall' }), context);
  t.equal(oddUsers.text, '[PROBLEM] web01!http is CRITICAL: connection refused', 'users that are no list are ignored');
});

t.test('a long output is cut before the notified users', async (t) => {
  const message = formatNotification(notification('PROBLEM', { check_result: { state: 2, output: 'x'.repeat(500) } }), { width: 90 });
  t.equal(message.text.length, 90);
  t.ok(message.text.endsWith('x… (notified oncall, dbadmin)'));
});

t.test('odd events still give a sensible line', async (t) => {
  t.equal(formatNotification({ type: 'Notification' }, context).text, 'Icinga2 event Notification');
  const odd = formatNotification(
    { type: 'Notification', host: 'web01', notification_type: 5, users: [null, 3], check_result: 'nope', text: {} },
    context,
  );
  t.equal(odd.text, '[5] web01 (notified 3)');
  t.equal(odd.severity, 'info');
});
