/** Noise control wired into a real Relay, against a real Icinga2: a burst on one host becomes one grouped line. */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { relayConfig, waitUntil } from '../commands/helpers.js';
import { FakeBackend } from '../helpers/fake-backend.js';
import { startIcinga2 } from '../harness/icinga2.js';

// Icinga2 2.13 delivers events in ~5 s ticks; a storm window longer than one tick keeps a burst split across two ticks in one group.
const NOISE = 'noise:\n  storm: { window: 8s, group_from: 2 }\n';

t.test('several services of one host go CRITICAL in a burst: the first at once, then one grouped line, notifications deduplicated', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const backend = new FakeBackend('irc', ['irc:#ops']);
  const relay = new Relay(relayConfig(icinga, NOISE), { logger: memoryLogger(), backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => relay.stream.connected || undefined, 15_000, 'the event stream');

  for (const service of ['http', 'disk', 'load']) await icinga.processCheckResult(`db01!${service}`, 2, `${service.toUpperCase()} CRITICAL`);
  const grouped = await waitUntil(() => backend.texts().find((text) => text.startsWith('db01: 2 services CRITICAL: ')), 30_000, 'the grouped line');
  const single = backend.texts().filter((text) => /^#\d+ (CRITICAL db01!|\[PROBLEM\] db01!)/.test(text));
  t.equal(single.length, 1, `the first report alone, the other two in the group: ${JSON.stringify(backend.texts())}`);
  const services = [single[0].match(/db01!(\w+)/)![1], ...grouped.replace('db01: 2 services CRITICAL: ', '').replace(/ \(#\d+ #\d+\)$/, '').split(', ')];
  t.same(services.sort(), ['disk', 'http', 'load'], 'every service accounted for, once');
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  t.equal(backend.texts().filter((text) => text.includes('db01')).length, 2, 'the PROBLEM notifications (two for db01!disk) added nothing');
});
