import t from 'tap';
import { EVENT_TYPES } from '../../src/icinga/event-types.js';
import { FORMATTERS, formatEvent } from '../../formatters/index.js';
import { formatGeneric } from '../../formatters/generic.js';
import type { Formatter } from '../../formatters/types.js';
import { lineProblems } from './line-checks.js';

const context = { width: 120 };

function kebabCase(type: string): string {
  return type.replace(/(?<=[a-z])(?=[A-Z])/g, '-').toLowerCase();
}

t.test('every event type has its own formatter, in a file named after it', async (t) => {
  t.same(Object.keys(FORMATTERS).sort(), [...EVENT_TYPES].sort());
  for (const type of EVENT_TYPES) {
    const module = (await import(`../../formatters/${kebabCase(type)}.js`)) as Record<string, Formatter>;
    t.equal(module[`format${type}`], FORMATTERS[type], `formatters/${kebabCase(type)}.ts exports format${type}`);
    t.not(FORMATTERS[type], formatGeneric, `${type} is not left to the generic formatter`);
  }
});

t.test('an unknown type gets the generic line', async (t) => {
  const message = formatEvent({ type: 'FooBar', timestamp: 1700000000, host: 'web01', service: 'http' }, context);
  t.equal(message.text, 'Icinga2 event FooBar for web01!http');
  t.equal(message.eventType, 'FooBar');
  t.equal(message.severity, 'info');
  t.notOk('format_error' in message.fields);
});

t.test("type names from Object.prototype do not find the prototype's functions", async (t) => {
  for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    t.equal(formatEvent({ type, host: 'web01' }, context).text, `Icinga2 event ${type} for web01`, type);
  }
});

t.test('formatEvent hands the context to the formatter', async (t) => {
  const event = {
    type: 'StateChange',
    timestamp: 1700003600,
    host: 'web01',
    service: 'http',
    state: 2,
    state_type: 1,
    check_result: { output: 'refused '.repeat(40), previous_hard_state: 0 },
  };
  const message = formatEvent(event, { width: 70, previousStateSince: 1700000000 });
  t.equal(message.text.length, 70);
  t.ok(message.text.endsWith('… (was OK for 1 hour)'));
});

t.test('a throwing formatter costs the detail, not the event', async (t) => {
  const throwing = (thrown: unknown): Formatter => () => {
    throw thrown;
  };
  const registry = new Map([
    ['StateChange', throwing(new Error('cannot read properties of undefined\n    at formatStateChange'))],
    ['Flapping', throwing('a string')],
  ]);
  const message = formatEvent({ type: 'StateChange', timestamp: 5, host: 'web01', service: 'http' }, context, registry);
  t.equal(message.text, 'Icinga2 event StateChange for web01!http');
  t.equal(message.timestamp, 5);
  t.equal(message.host, 'web01');
  t.equal(message.fields.format_error, 'cannot read properties of undefined / at formatStateChange');
  t.same(lineProblems(message, context.width), ['the formatter threw: cannot read properties of undefined / at formatStateChange'], 'a clean line otherwise');
  const thrownString = formatEvent({ type: 'Flapping' }, context, registry);
  t.equal(thrownString.text, 'Icinga2 event Flapping');
  t.equal(thrownString.fields.format_error, 'a string');
});
