import t from 'tap';
import { formatAcknowledgementCleared } from '../../formatters/acknowledgement-cleared.js';
import { formatAcknowledgementSet } from '../../formatters/acknowledgement-set.js';

const context = { width: 200 };

function acknowledgement(overrides: Record<string, unknown> = {}) {
  return {
    type: 'AcknowledgementSet',
    timestamp: 1700000000,
    host: 'web01',
    service: 'http',
    state: 2,
    state_type: 1,
    author: 'alice',
    comment: 'looking into it',
    acknowledgement_type: 2,
    expiry: 1700000000 + 7200,
    notify: true,
    persistent: false,
    ...overrides,
  };
}

t.test('a sticky, expiring acknowledgement says who, what, how and why', async (t) => {
  const message = formatAcknowledgementSet(acknowledgement(), context);
  t.equal(message.text, 'alice acknowledged web01!http (sticky, expires in 2 hours): looking into it');
  t.equal(message.severity, 'info');
  t.equal(message.state, 'CRITICAL');
  t.equal(message.stateType, 'HARD');
  t.same(message.fields, {
    type: 'AcknowledgementSet',
    host: 'web01',
    service: 'http',
    object: 'web01!http',
    state: 'CRITICAL',
    state_type: 'HARD',
    author: 'alice',
    comment: 'looking into it',
    acknowledgement_type: 'sticky',
    expiry: 1700007200,
    expires_in: '2 hours',
    notify: true,
  });
});

t.test('a normal acknowledgement without expiry or notification', async (t) => {
  const message = formatAcknowledgementSet(
    acknowledgement({ host: 'routeur-äöü', service: undefined, state: 1, acknowledgement_type: 1, expiry: 0, notify: false }),
    context,
  );
  t.equal(message.text, 'alice acknowledged routeur-äöü (no notification): looking into it');
  t.equal(message.state, 'DOWN');
  t.equal(message.fields.acknowledgement_type, 'normal');
  t.notOk('expiry' in message.fields);
  t.equal(message.service, undefined);
});

t.test('an expiry without an event time, or in the past, gives no "expires in"', async (t) => {
  t.equal(
    formatAcknowledgementSet(acknowledgement({ timestamp: undefined, acknowledgement_type: 1 }), context).text,
    'alice acknowledged web01!http: looking into it',
  );
  t.equal(
    formatAcknowledgementSet(acknowledgement({ expiry: 1600000000 }), context).text,
    'alice acknowledged web01!http (sticky): looking into it',
  );
});

t.test('a multi-line comment becomes one line and is cut first', async (t) => {
  const message = formatAcknowledgementSet(acknowledgement({ comment: 'line one\nline two\r\n' + 'z'.repeat(300) }), { width: 100 });
  t.equal(message.text.length, 100);
  t.ok(message.text.startsWith('alice acknowledged web01!http (sticky, expires in 2 hours): line one / line two / zz'));
});

t.test('odd acknowledgements still give a sensible line', async (t) => {
  t.equal(formatAcknowledgementSet({ type: 'AcknowledgementSet' }, context).text, 'Icinga2 event AcknowledgementSet');
  const odd = formatAcknowledgementSet(
    { type: 'AcknowledgementSet', host: 'web01', author: null, comment: '', acknowledgement_type: 'sticky', expiry: 'never' },
    context,
  );
  t.equal(odd.text, 'Someone acknowledged web01');
  t.notOk('acknowledgement_type' in odd.fields);
});

t.test('a cleared acknowledgement names the object and its state', async (t) => {
  const message = formatAcknowledgementCleared(
    { type: 'AcknowledgementCleared', timestamp: 1700000000, host: 'web01', service: 'http', state: 0, state_type: 1, acknowledgement_type: 0 },
    context,
  );
  t.equal(message.text, 'Acknowledgement cleared for web01!http (now OK)');
  t.equal(message.severity, 'info');
  t.equal(message.state, 'OK');
  t.equal(message.stateType, 'HARD');
  t.equal(
    formatAcknowledgementCleared({ type: 'AcknowledgementCleared', host: 'db01', state: 1 }, context).text,
    'Acknowledgement cleared for db01 (now DOWN)',
  );
  t.equal(
    formatAcknowledgementCleared({ type: 'AcknowledgementCleared', host: 'db01' }, context).text,
    'Acknowledgement cleared for db01',
  );
  t.equal(formatAcknowledgementCleared({ type: 'AcknowledgementCleared', service: 'http' }, context).text, 'Icinga2 event AcknowledgementCleared');
});
