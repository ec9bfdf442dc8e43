/**
 * Every command through a running Relay into a real Icinga2 (one daemon for the file), as an
 * authorised chat user: what Icinga2 holds afterwards, what the user reads, and the Icinga2 event
 * that comes back through the relay. The relay's API user has the permissions the README asks for.
 */
import t from 'tap';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { chat, relayConfig, waitUntil } from './helpers.js';
import { FakeBackend } from '../helpers/fake-backend.js';

// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;

const icinga = await startIcinga2();
t.teardown(() => icinga.destroy());
const backend = new FakeBackend('irc', ['irc:#ops']);
const relay = new Relay(
  relayConfig(
    icinga,
    `commands:
  max_lines: 3
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "irc:alice": [operator]
  authors:
    "irc:alice": Alice Example
`,
  ),
  { logger: memoryLogger(), backends: [backend] },
);
// Events of changes made before the stream is connected would never come (Icinga2 has no replay).
const connected = new Promise<void>((resolve) => relay.stream.on('status', (status) => status.state === 'connected' && resolve()));
await relay.start();
t.teardown(() => relay.stop());
await connected;

/** What alice is told in reply to one command. */
async function alice(command: string): Promise<string[]> {
  const from = backend.sent.length;
  await relay.handleMessage(backend, chat(`!${command}`, 'irc:alice'));
  return backend.sent.slice(from).filter((sent) => sent.message.eventType === 'Reply').map((sent) => sent.message.text);
}

async function objects<T>(collection: string, body: Record<string, unknown>): Promise<{ name: string; attrs: T }[]> {
  const answer = await icinga.api('GET', `/v1/objects/${collection}`, body);
  return (answer.json as { results: { name: string; attrs: T }[] }).results;
}
const serviceAttrs = async <T>(service: string, attrs: string[]) => (await objects<T>('services', { service, attrs }))[0].attrs;
const downtimesOf = (host: string) =>
  objects<{ service_name: string; fixed: boolean; start_time: number; end_time: number; duration: number; author: string; comment: string }>('downtimes', {
    filter: 'downtime.host_name == h',
    filter_vars: { h: host },
    attrs: ['service_name', 'fixed', 'start_time', 'end_time', 'duration', 'author', 'comment'],
  });

await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - Unable to open TCP socket: connection refused\nmore details');
await icinga.processCheckResult('db01!http', 0, 'HTTP OK');

t.test('ack from chat: Icinga2 has it with the right author and comment, and the event comes back to the channel', async (t) => {
  const from = backend.sent.length;
  // Through the handler the relay registered on the backend, as a real backend delivers it. Typed
  // privately: where it is typed, the reply alone answers it (test/problems/one-line-real.test.ts).
  backend.write(chat('ack web01!http for 2h looking into it', 'irc:alice', { destination: 'irc:alice', direct: true }));
  const reply = await waitUntil(() => backend.sent.slice(from).find((sent) => sent.message.eventType === 'Reply'), 10_000, 'the reply');
  t.match(reply, { destination: 'irc:alice', message: { text: 'acknowledged web01!http for 2 hours', severity: 'info' } });

  t.same(await serviceAttrs('web01!http', ['acknowledgement']), { acknowledgement: 2 }, 'sticky, as the default config says');
  const comments = await objects<{ author: string; text: string }>('comments', {
    filter: 'comment.service_name == s && comment.entry_type == 4',
    filter_vars: { s: 'http' },
    attrs: ['author', 'text'],
  });
  t.same(comments.map((comment) => comment.attrs), [{ author: 'Alice Example', text: 'looking into it' }]);

  const event = await waitUntil(
    () => backend.sent.slice(from).find((sent) => sent.message.eventType === 'AcknowledgementSet'),
    EVENT_WAIT_MS,
    'the AcknowledgementSet event',
  );
  t.equal(event.destination, 'irc:#ops');
  t.match(event.message.text, /^#\d+ Alice Example acknowledged web01!http \(sticky, expires in (2 hours|1 hour, 59 minutes)\): looking into it/);
});

t.test('status, already acknowledged, OK, unknown objects', async (t) => {
  const [state, acknowledgement] = await alice('status web01!http');
  t.match(state, /^web01!http is CRITICAL for \d+ seconds?: HTTP CRITICAL - Unable to open TCP socket: connection refused$/);
  t.match(acknowledgement, /^acknowledged by Alice Example \(expires in (2 hours|1 hour, 59 minutes)\): looking into it$/);
  t.same(await alice('ack web01!http again'), ['web01!http is already acknowledged']);
  t.same(await alice('ack db01!http it is fine'), ['db01!http is OK, nothing to acknowledge']);
  t.same(await alice('ack web01!htp looking'), ['no such service web01!htp (did you mean web01!http?)']);
  t.same(await alice('status db02'), ['no such host db02 (did you mean db01?)']);
});

t.test('unack', async (t) => {
  t.same(await alice('unack web01!http'), ['removed the acknowledgement of web01!http']);
  t.same(await serviceAttrs('web01!http', ['acknowledgement']), { acknowledgement: 0 });
  t.same(await alice('unack web01!http'), ['web01!http is not acknowledged']);
});

t.test('comment', async (t) => {
  t.same(await alice('comment db01 replaced the "PSU", see TICKET-42'), ['added a comment to db01']);
  const comments = await objects<{ author: string; text: string; service_name: string }>('comments', {
    filter: 'comment.host_name == h && comment.entry_type == 1',
    filter_vars: { h: 'db01' },
    attrs: ['author', 'text', 'service_name'],
  });
  t.same(comments.map((comment) => comment.attrs), [{ author: 'Alice Example', text: 'replaced the "PSU", see TICKET-42', service_name: '' }]);
});

t.test('downtime with each duration form, host!* and flexible; undowntime removes them', async (t) => {
  const forms: [string, string, number, string][] = [
    ['web02!http', '90s', 90, '1 minute, 30 seconds'],
    ['web02!disk', '30m', 1800, '30 minutes'],
    ['web02!load', '2h', 7200, '2 hours'],
    ['routeur-äöü!http', '1d12h', 129_600, '1 day, 12 hours'],
    ['routeur-äöü!disk', '1w', 604_800, '1 week'],
  ];
  for (const [object, duration, seconds, words] of forms) {
    t.same(await alice(`downtime ${object} ${duration} planned work`), [`scheduled a fixed downtime of ${words} for ${object}`]);
    const [host, service] = object.split('!');
    const [scheduled] = (await downtimesOf(host)).filter((downtime) => downtime.attrs.service_name === service);
    t.match(scheduled.attrs, { fixed: true, author: 'Alice Example', comment: 'planned work' }, object);
    t.equal(scheduled.attrs.end_time - scheduled.attrs.start_time, seconds, `${duration} lasts ${seconds} s`);
  }

  t.same(await alice('downtime db01!* 1h kernel upgrade'), ['scheduled a fixed downtime of 1 hour for db01 and all its services']);
  t.same((await downtimesOf('db01')).map((downtime) => downtime.attrs.service_name).sort(), ['', 'disk', 'http', 'load']);

  t.same(await alice('downtime web01!disk 2h flexible disk swap'), ['scheduled a flexible downtime of 2 hours for web01!disk: it starts when a problem begins within the next 2 hours']);
  t.match((await downtimesOf('web01'))[0].attrs, { service_name: 'disk', fixed: false, duration: 7200, comment: 'disk swap' });

  t.same(await alice('undowntime db01'), ['removed 4 downtimes from db01 and its services']);
  t.same(await alice('undowntime web02!*'), ['removed 3 downtimes from web02 and its services']);
  t.same(await alice('undowntime routeur-äöü!http'), ['removed 1 downtime from routeur-äöü!http']);
  t.same(await alice('undt routeur-äöü!disk'), ['removed 1 downtime from routeur-äöü!disk']);
  t.same(await alice('undowntime web01!disk'), ['removed 1 downtime from web01!disk']);
  t.same(await objects('downtimes', { attrs: ['name'] }), [], 'no downtime left anywhere');
  t.same(await alice('undowntime web01!disk'), ['web01!disk has no downtime']);
});

t.test('recheck', async (t) => {
  const before = (await serviceAttrs<{ last_check: number }>('web02!disk', ['last_check'])).last_check;
  t.same(await alice('recheck web02!disk'), ['rescheduled the check of web02!disk to run now']);
  await waitUntil(async () => (await serviceAttrs<{ last_check: number }>('web02!disk', ['last_check'])).last_check !== before, 10_000, 'the check to run');
  t.pass('the forced check ran');
});

t.test('problems: worst first, at most max_lines, then how many more', async (t) => {
  await icinga.processCheckResult('web02', 1, 'PING CRITICAL - Packet loss = 100%');
  await icinga.processCheckResult('web02!load', 1, 'LOAD WARNING - load average: 9.1');
  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL - / is 99% full');
  await icinga.processCheckResult('db01!load', 3, 'LOAD UNKNOWN');
  // web02!disk is UNKNOWN from the forced recheck of a passive service ("No Passive Check Result Received").
  const lines = await alice('problems');
  t.equal(lines.length, 4);
  // The reference shows once the relay has relayed the problem: web01!http's long ago, these just now (or not yet).
  t.match(lines, [/^(#\d+ )?DOWN web02 for \d+ seconds?: PING CRITICAL - Packet loss = 100%$/, /^(#\d+ )?CRITICAL db01!disk for/, /^#\d+ CRITICAL web01!http for/, '... and 3 more']);
  t.match(await alice('problems db01'), [/^(#\d+ )?CRITICAL db01!disk/, /^(#\d+ )?UNKNOWN db01!load/]);
  t.same(await alice('problems nothing-like-this'), ['no unhandled problems matching nothing-like-this']);
});
