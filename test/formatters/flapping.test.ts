import t from 'tap';
import { formatFlapping } from '../../formatters/flapping.js';

const context = { width: 200 };

function flapping(overrides: Record<string, unknown>) {
  return {
    type: 'Flapping',
    timestamp: 1700000000,
    host: 'web01',
    service: 'flappy',
    state: 2,
    state_type: 1,
    threshold_high: 30,
    threshold_low: 25,
    ...overrides,
  };
}

t.test('flapping starts: a warning, with the state and the change rate', async (t) => {
  const message = formatFlapping(flapping({ is_flapping: true, flapping_current: 42.349999 }), context);
  t.equal(message.text, 'web01!flappy started flapping (CRITICAL, 42.3% state changes)');
  t.equal(message.severity, 'warning');
  t.equal(message.state, 'CRITICAL');
  t.equal(message.stateType, 'HARD');
  t.same(message.fields, {
    type: 'Flapping',
    host: 'web01',
    service: 'flappy',
    object: 'web01!flappy',
    state: 'CRITICAL',
    state_type: 'HARD',
    is_flapping: true,
    flapping_current: 42.349999,
    threshold_low: 25,
    threshold_high: 30,
  });
});

t.test('flapping stops: the state speaks', async (t) => {
  const message = formatFlapping(flapping({ is_flapping: false, flapping_current: 4, state: 0 }), context);
  t.equal(message.text, 'web01!flappy stopped flapping (OK, 4% state changes)');
  t.equal(message.severity, 'ok');
});

t.test('current_flapping, as the docs spell it, is read too', async (t) => {
  const message = formatFlapping(flapping({ is_flapping: true, current_flapping: 33 }), context);
  t.equal(message.text, 'web01!flappy started flapping (CRITICAL, 33% state changes)');
  t.equal(message.fields.flapping_current, 33);
});

t.test('a host flaps on the host scale', async (t) => {
  const message = formatFlapping({ type: 'Flapping', host: 'db01', state: 1, is_flapping: true }, context);
  t.equal(message.text, 'db01 started flapping (DOWN)');
  t.equal(message.service, undefined);
});

t.test('odd flapping events still give a sensible line', async (t) => {
  t.equal(formatFlapping({ type: 'Flapping' }, context).text, 'Icinga2 event Flapping');
  const odd = formatFlapping({ type: 'Flapping', host: 'web01', is_flapping: 'yes', flapping_current: '12', state: null }, context);
  t.equal(odd.text, 'web01 changed flapping state');
  t.equal(odd.severity, 'unknown');
});
