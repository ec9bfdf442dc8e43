import t from 'tap';
import { formatObjectCreated } from '../../formatters/object-created.js';
import { formatObjectDeleted } from '../../formatters/object-deleted.js';
import { formatObjectModified } from '../../formatters/object-modified.js';

const context = { width: 200 };

t.test('object events name the change, the type and the name', async (t) => {
  const created = formatObjectCreated(
    { type: 'ObjectCreated', timestamp: 1700000000, object_type: 'Downtime', object_name: 'web01!http!abc-123' },
    context,
  );
  t.equal(created.text, 'Icinga2 object created: Downtime web01!http!abc-123');
  t.equal(created.severity, 'info');
  t.same(created.fields, { type: 'ObjectCreated', object_type: 'Downtime', object_name: 'web01!http!abc-123' });
  t.equal(created.host, undefined, 'a downtime name is not split into host and service');
  const modified = formatObjectModified({ type: 'ObjectModified', object_type: 'Host', object_name: 'api-created' }, context);
  t.equal(modified.text, 'Icinga2 object modified: Host api-created');
  const deleted = formatObjectDeleted({ type: 'ObjectDeleted', object_type: 'Comment', object_name: 'db01!c0ffee' }, context);
  t.equal(deleted.text, 'Icinga2 object deleted: Comment db01!c0ffee');
});

t.test('hosts and services become the message host and service', async (t) => {
  const host = formatObjectCreated({ type: 'ObjectCreated', object_type: 'Host', object_name: 'web03' }, context);
  t.equal(host.host, 'web03');
  t.equal(host.service, undefined);
  const service = formatObjectModified({ type: 'ObjectModified', object_type: 'Service', object_name: 'web03!http!x' }, context);
  t.equal(service.host, 'web03');
  t.equal(service.service, 'http!x', 'host names cannot hold "!", so the first one splits');
  t.equal(service.fields.object, 'web03!http!x');
  const odd = formatObjectDeleted({ type: 'ObjectDeleted', object_type: 'Service', object_name: 'no-separator' }, context);
  t.equal(odd.host, undefined);
  t.equal(odd.text, 'Icinga2 object deleted: Service no-separator');
});

t.test('odd object events still give a sensible line', async (t) => {
  t.equal(formatObjectCreated({ type: 'ObjectCreated' }, context).text, 'Icinga2 event ObjectCreated');
  t.equal(formatObjectDeleted({ type: 'ObjectDeleted', object_type: 'Host', object_name: '' }, context).text, 'Icinga2 event ObjectDeleted');
  t.equal(formatObjectModified({ type: 'ObjectModified', object_name: 'x\ny' }, context).text, 'Icinga2 object modified: x / y');
});
