import t from 'tap';
import { formatStateChange } from '../../formatters/state-change.js';

const context = { width: 200 };

function serviceChange(overrides: Record<string, unknown> = {}, checkResult: Record<string, unknown> = {}) {
  return {
    type: 'StateChange',
    timestamp: 1700007380,
    host: 'web01',
    service: 'http',
    state: 2,
    state_type: 1,
    check_result: {
      output: 'connection refused',
      state: 2,
      previous_hard_state: 0,
      vars_before: { state: 0, state_type: 1 },
      ...checkResult,
    },
    ...overrides,
  };
}

t.test('a service state change names the new state, the object, the output and the old state', async (t) => {
  const message = formatStateChange(serviceChange(), { width: 200, previousStateSince: 1700007380 - 7380 });
  t.equal(message.text, 'CRITICAL web01!http: connection refused (was OK for 2 hours, 3 minutes)');
  t.equal(message.severity, 'critical');
  t.equal(message.state, 'CRITICAL');
  t.equal(message.stateType, 'HARD');
  t.equal(message.host, 'web01');
  t.equal(message.service, 'http');
  t.equal(message.timestamp, 1700007380);
  t.same(message.fields, {
    type: 'StateChange',
    host: 'web01',
    service: 'http',
    object: 'web01!http',
    state: 'CRITICAL',
    state_type: 'HARD',
    output: 'connection refused',
    previous_state: 'OK',
    duration: '2 hours, 3 minutes',
  });
});

t.test('a host reads the host scale on top and the service scale in the check result', async (t) => {
  const down = formatStateChange(
    {
      type: 'StateChange',
      host: 'db01',
      state: 1,
      state_type: 1,
      check_result: { output: 'PING CRITICAL - Packet loss = 100%', state: 2, previous_hard_state: 0 },
    },
    context,
  );
  t.equal(down.text, 'DOWN db01: PING CRITICAL - Packet loss = 100% (was UP)');
  t.equal(down.severity, 'critical');
  t.equal(down.service, undefined);
  const up = formatStateChange(
    { type: 'StateChange', host: 'db01', state: 0, state_type: 1, check_result: { output: 'PING OK', state: 0, previous_hard_state: 2 } },
    context,
  );
  t.equal(up.text, 'UP db01: PING OK (was DOWN)');
  t.equal(up.severity, 'ok');
});

t.test('a host without top-level state falls back to its check result, on the service scale', async (t) => {
  const message = formatStateChange({ type: 'StateChange', host: 'db01', check_result: { state: 1, output: 'slow' } }, context);
  t.equal(message.state, 'UP', 'WARNING counts as UP for hosts');
  t.equal(message.text, 'UP db01: slow');
});

t.test('soft changes say so; the hard change after them names the previous hard state', async (t) => {
  const soft = formatStateChange(
    serviceChange({ state: 1, state_type: 0 }, { output: 'NTP WARNING', state: 1, previous_hard_state: 99 }),
    context,
  );
  t.equal(soft.text, 'WARNING (soft) web01!http: NTP WARNING (was OK)');
  t.equal(soft.stateType, 'SOFT');
  const hard = formatStateChange(
    serviceChange({ state: 1 }, { output: 'NTP WARNING', state: 1, previous_hard_state: 0, vars_before: { state: 1, state_type: 0 } }),
    context,
  );
  t.equal(hard.text, 'WARNING web01!http: NTP WARNING (was OK)', 'vars_before says WARNING, the news is OK -> WARNING');
});

t.test('the previous state is left out when it is unknown or the same', async (t) => {
  const first = formatStateChange(serviceChange({ state: 0 }, { output: 'HTTP OK', state: 0, previous_hard_state: 99, vars_before: null }), context);
  t.equal(first.text, 'OK web01!http: HTTP OK');
  t.notOk('previous_state' in first.fields);
  const same = formatStateChange(
    serviceChange({}, { previous_hard_state: 2, vars_before: { state: 2, state_type: 0 } }),
    context,
  );
  t.equal(same.text, 'CRITICAL web01!http: connection refused');
  const durationOnly = formatStateChange(serviceChange({}, { previous_hard_state: 99, vars_before: null }), {
    width: 200,
    previousStateSince: 1700007380 - 86400 * 3,
  });
  t.equal(durationOnly.text, 'CRITICAL web01!http: connection refused (previous state lasted 3 days)');
});

t.test('a previous-state time after the event, or without an event time, gives no duration', async (t) => {
  const later = formatStateChange(serviceChange(), { width: 200, previousStateSince: 1700007380 + 10 });
  t.equal(later.text, 'CRITICAL web01!http: connection refused (was OK)');
  const untimed = formatStateChange(serviceChange({ timestamp: undefined }), { width: 200, previousStateSince: 1 });
  t.equal(untimed.text, 'CRITICAL web01!http: connection refused (was OK)');
  t.equal(untimed.timestamp, 0);
});

t.test('multi-line output shows its first line; the output field too', async (t) => {
  const message = formatStateChange(
    serviceChange({ state: 1 }, { output: 'DISK WARNING - / 9%\n/var 12%\r\n/home 40%|/=18GB;;;0;20', state: 1 }),
    context,
  );
  t.equal(message.text, 'WARNING web01!http: DISK WARNING - / 9% (was OK)');
  t.equal(message.fields.output, 'DISK WARNING - / 9%');
});

t.test('long output is cut, the object and the previous state stay', async (t) => {
  const message = formatStateChange(serviceChange({}, { output: 'refused '.repeat(100) }), { width: 72 });
  t.equal(message.text.length, 72);
  t.match(message.text, /^CRITICAL web01!http: refused refused .*… \(was OK\)$/);
});

t.test('unicode names and output pass through whole', async (t) => {
  const message = formatStateChange(
    serviceChange({ host: 'routeur-äöü', service: 'http✓' }, { output: 'HTTP CRITICAL - Zeitüberschreitung ✗ 🔥' }),
    context,
  );
  t.equal(message.text, 'CRITICAL routeur-äöü!http✓: HTTP CRITICAL - Zeitüberschreitung ✗ 🔥 (was OK)');
});

t.test('odd events still give a sensible line', async (t) => {
  t.equal(formatStateChange({ type: 'StateChange' }, context).text, 'Icinga2 event StateChange');
  t.equal(formatStateChange({ type: 'StateChange', host: null, service: 'http' }, context).text, 'Icinga2 event StateChange');
  const noResult = formatStateChange({ type: 'StateChange', host: 'web01', service: 'http', state: 2 }, context);
  t.equal(noResult.text, 'CRITICAL web01!http');
  const oddState = formatStateChange(
    { type: 'StateChange', host: 42, service: '', state: 7, state_type: 'HARD', check_result: { output: 12 } },
    context,
  );
  t.equal(oddState.text, 'State change 42: 12');
  t.equal(oddState.severity, 'unknown');
  t.equal(oddState.state, undefined);
  t.equal(oddState.stateType, undefined);
  const nullState = formatStateChange({ type: 'StateChange', host: 'web01', state: null, check_result: [] }, context);
  t.equal(nullState.text, 'State change web01');
});
