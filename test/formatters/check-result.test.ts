import t from 'tap';
import { formatCheckResult } from '../../formatters/check-result.js';

const context = { width: 200 };

t.test('a service check result', async (t) => {
  const message = formatCheckResult(
    {
      type: 'CheckResult',
      timestamp: 1700000000,
      host: 'web01',
      service: 'http',
      check_result: { output: 'HTTP CRITICAL - refused\nmore', state: 2, check_source: 'satellite1', vars_after: { state: 2, state_type: 0 } },
    },
    context,
  );
  t.equal(message.text, 'web01!http checked CRITICAL: HTTP CRITICAL - refused');
  t.equal(message.severity, 'critical');
  t.equal(message.state, 'CRITICAL');
  t.equal(message.stateType, 'SOFT');
  t.equal(message.fields.check_source, 'satellite1');
  t.equal(message.fields.output, 'HTTP CRITICAL - refused');
});

t.test('a host check result maps the service scale to UP/DOWN', async (t) => {
  const down = formatCheckResult({ type: 'CheckResult', host: 'db01', check_result: { output: 'PING CRITICAL', state: 2 } }, context);
  t.equal(down.text, 'db01 checked DOWN: PING CRITICAL');
  t.equal(down.severity, 'critical');
  const up = formatCheckResult({ type: 'CheckResult', host: 'db01', check_result: { output: 'PING WARNING', state: 1 } }, context);
  t.equal(up.text, 'db01 checked UP: PING WARNING');
  t.equal(up.severity, 'ok');
});

t.test('odd check results still give a sensible line', async (t) => {
  t.equal(formatCheckResult({ type: 'CheckResult' }, context).text, 'Icinga2 event CheckResult');
  const bare = formatCheckResult({ type: 'CheckResult', host: 'web01', service: 'http' }, context);
  t.equal(bare.text, 'web01!http checked with unknown state');
  t.equal(bare.severity, 'unknown');
  const odd = formatCheckResult(
    { type: 'CheckResult', host: 'web01', check_result: { output: null, state: 'CRITICAL', vars_after: 1 } },
    context,
  );
  t.equal(odd.text, 'web01 checked with unknown state');
});
