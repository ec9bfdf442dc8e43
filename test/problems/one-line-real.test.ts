/**
 * One action, one line, against a real Icinga2: what an action from chat causes in Icinga2
 * (acknowledgement, comments, notifications, child downtimes and their starts) comes back through
 * the event stream and is folded into the command's reply; the same action taken through the
 * API shows as one line per object.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { chat, EVENT_WAIT_MS, relayConfig, waitUntil } from '../commands/helpers.js';
import { FakeBackend } from '../helpers/fake-backend.js';

const icinga = await startIcinga2();
t.teardown(() => icinga.destroy());
const backend = new FakeBackend('irc', ['irc:#ops']);
const relay = new Relay(
  relayConfig(icinga, 'commands:\n  rate: { burst: 1000, per_second: 1000 }\naccess:\n  users:\n    "irc:alice": [operator]\n'),
  { logger: memoryLogger(), backends: [backend] },
);
const received: { type: string; notification?: unknown }[] = [];
relay.stream.on('event', (event) => received.push({ type: event.type, notification: event.notification_type }));
await relay.start();
t.teardown(() => relay.stop());
await waitUntil(() => relay.stream.connected || undefined, 15_000, 'the event stream');

/** Waits until the relay has received every event type in `types` since `from`, then one more storm window and a tick for stragglers. */
async function receivedAll(from: number, types: string[]) {
  await waitUntil(() => types.every((type) => received.slice(from).some((event) => event.type === type || event.notification === type)) || undefined, EVENT_WAIT_MS, () => `${types.join(', ')}; received: ${JSON.stringify(received.slice(from))}`);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
}

t.test('!ack: exactly one line in the channel, the reply', async (t) => {
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await waitUntil(() => backend.texts().find((text) => /CRITICAL web01!http/.test(text)), EVENT_WAIT_MS, 'the CRITICAL');
  const from = backend.sent.length;
  const events = received.length;
  backend.write(chat('!ack web01!http looking into it', 'irc:alice'));
  await receivedAll(events, ['AcknowledgementSet', 'CommentAdded', 'ACKNOWLEDGEMENT']);
  t.same(backend.texts(from), ['acknowledged web01!http until it recovers']);
  t.comment(`events Icinga2 sent for the ack: ${JSON.stringify(received.slice(events))}`);
});

t.test('!downtime db01!* 1h (a host with 3 services): one line', async (t) => {
  const from = backend.sent.length;
  const events = received.length;
  backend.write(chat('!downtime db01!* 1h kernel upgrade', 'irc:alice'));
  await receivedAll(events, ['DowntimeAdded', 'DowntimeStarted', 'DOWNTIMESTART', 'DowntimeTriggered']);
  t.same(backend.texts(from), ['scheduled a fixed downtime of 1 hour for db01 and all its services']);
  t.ok(received.slice(events).filter((event) => event.type === 'DowntimeAdded').length >= 4, 'Icinga2 did send a DowntimeAdded for the host and each service');
  t.comment(`events Icinga2 sent for the downtime: ${received.length - events}`);
});

t.test('an ack through the API (Icinga Web): one line, the acknowledgement with its comment', async (t) => {
  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL');
  await waitUntil(() => backend.texts().find((text) => /CRITICAL web02!disk/.test(text)), EVENT_WAIT_MS, 'the CRITICAL');
  const from = backend.sent.length;
  const events = received.length;
  const answer = await icinga.api('POST', '/v1/actions/acknowledge-problem', { type: 'Service', filter: 'service.__name == "web02!disk"', author: 'carol', comment: 'on it from the web' });
  t.equal(answer.status, 200);
  await receivedAll(events, ['AcknowledgementSet', 'CommentAdded']);
  t.match(backend.texts(from), [/^#\d+ carol acknowledged web02!disk .*: on it from the web$/]);
  t.equal(backend.texts(from).length, 1);
});
