import t from 'tap';
import { formatGeneric } from '../../formatters/generic.js';

const context = { width: 200 };

t.test('the generic line names the type and the checkable', async (t) => {
  const message = formatGeneric({ type: 'FooBar', timestamp: 1700000000, host: 'web01', service: 'http' }, context);
  t.equal(message.text, 'Icinga2 event FooBar for web01!http');
  t.equal(message.severity, 'info');
  t.equal(message.eventType, 'FooBar');
  t.equal(message.host, 'web01');
  t.equal(message.service, 'http');
  t.equal(message.timestamp, 1700000000);
  t.same(message.fields, { type: 'FooBar', host: 'web01', service: 'http', object: 'web01!http' });
});

t.test('without a checkable, or even a type, it still says something', async (t) => {
  t.equal(formatGeneric({ type: 'FooBar' }, context).text, 'Icinga2 event FooBar');
  t.equal(formatGeneric({ type: 'FooBar', host: 'db01' }, context).text, 'Icinga2 event FooBar for db01');
  const untyped = formatGeneric({ type: undefined as unknown as string }, context);
  t.equal(untyped.text, 'Icinga2 event unknown');
  t.equal(untyped.eventType, 'unknown');
  t.equal(formatGeneric({ type: 'Evil\r\nQUIT :bye' }, context).text, 'Icinga2 event Evil / QUIT :bye', 'a type is cleaned like any name');
});
