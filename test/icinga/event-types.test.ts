import t from 'tap';
import { DEFAULT_EVENT_TYPES, EVENT_TYPES, isEventType, parseEventLine } from '../../src/icinga/event-types.js';

t.test('lines become events, or say what is wrong with them', async (t) => {
  t.same(parseEventLine('{"type":"StateChange","host":"web01"}'), { event: { type: 'StateChange', host: 'web01' } });
  t.same(parseEventLine('{"type":"StateCh'), { problem: 'not valid JSON' });
  for (const line of ['null', '42', '"StateChange"', '[1]', '{"type":5}', '{"no":"type"}']) {
    t.same(parseEventLine(line), { problem: 'not an Icinga2 event (no "type")' }, line);
  }
});

t.test('the known types, and the quiet default', async (t) => {
  t.equal(EVENT_TYPES.length, 15);
  t.ok(isEventType('DowntimeTriggered'));
  t.notOk(isEventType('StateChnage'));
  t.notOk(DEFAULT_EVENT_TYPES.includes('CheckResult'), 'CheckResult is a firehose');
  t.notOk(DEFAULT_EVENT_TYPES.some((type) => type.startsWith('Object')), 'Object* events are configuration churn');
  t.equal(DEFAULT_EVENT_TYPES.length, 11);
});
