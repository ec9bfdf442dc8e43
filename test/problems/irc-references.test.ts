/**
 * Problem references through IRC: a real InspIRCd with Atheme services, a real Icinga2, and a
 * relay with the IRC backend its config names. The CRITICAL line carries `#N`; commands take it
 * instead of the object's name; a reference that names no open problem changes nothing.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { acknowledgementOf, EVENT_WAIT_MS, icingaSnapshot, ircChat, linesAfter, relayConfig, startedRelay } from '../commands/helpers.js';

const NICK = 'icinga-relay';

const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
await ircd.registerAccount('alice', 'alice-secret');
await Promise.all(['web02!disk', 'web02!load'].map((service) => icinga.processCheckResult(service, 0, 'fine')));

await startedRelay(
  t,
  relayConfig(
    icinga,
    `${ircChat(ircd.port, NICK)}commands:
  rate: { burst: 1000, per_second: 1000 }
access:
  users:
    "irc:alice": [operator]
`,
  ),
);

const alice = await IrcTestClient.connect({ port: ircd.port, nick: 'alice', account: { name: 'alice', password: 'alice-secret' } });
t.teardown(() => alice.quit());
await alice.join('#ops');
const ops = () => alice.messages.filter((message) => message.nick === NICK && alice.client.caseCompare(message.target, '#ops')).map((message) => message.text);

let diskRef = '';

t.test('the CRITICAL line carries the problem reference, and !ack #N acknowledges that service', async (t) => {
  const [line] = await linesAfter(ops, () => icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - /var 99%'), [/CRITICAL web02!disk/], EVENT_WAIT_MS);
  const match = /^(#\d+) CRITICAL web02!disk: DISK CRITICAL - \/var 99%/.exec(line);
  t.ok(match, `the line starts with the reference: ${line}`);
  diskRef = match![1];
  const [reply] = await linesAfter(ops, () => alice.say('#ops', `!ack ${diskRef} looking into it`), [/^acknowledged /]);
  t.equal(reply, 'acknowledged web02!disk until it recovers');
  t.same(await acknowledgementOf(icinga, 'web02!disk'), { acknowledgement: 2, comments: [{ author: 'alice (via irc)', text: 'looking into it' }] });
  const [status] = await linesAfter(ops, () => alice.say('#ops', `!status ${diskRef}`), [/^web02!disk is /]);
  t.match(status, /^web02!disk is CRITICAL for .+: DISK CRITICAL/, 'status takes the reference too');
});

t.test('a reference that names no problem, or a closed one, is answered clearly and changes nothing', async (t) => {
  const before = await icingaSnapshot(icinga);
  t.same(await linesAfter(ops, () => alice.say('#ops', '!ack #999 mine'), [/#999/]), ['#999 is not a problem the relay knows; problems lists the open ones']);
  t.same(await icingaSnapshot(icinga), before, 'nothing acknowledged');
  const [recovery] = await linesAfter(ops, () => icinga.processCheckResult('web02!disk', 0, 'DISK OK'), [/OK web02!disk/], EVENT_WAIT_MS);
  t.match(recovery, new RegExp(`^${diskRef} OK web02!disk`), 'the recovery names the problem it ends');
  t.same(await linesAfter(ops, () => alice.say('#ops', `!downtime ${diskRef} 1h disk swap`), [new RegExp(diskRef)]), [
    `${diskRef} was web02!disk, which has recovered since; name the object to act on it`,
  ]);
  // (The rest of the snapshot moves on its own after a check result: next_check.)
  t.same(((await icingaSnapshot(icinga)) as { downtimes: unknown[] }).downtimes, [], 'no downtime for the closed reference');
});

t.test('problems lists the open problems with their references', async (t) => {
  const [line] = await linesAfter(ops, () => icinga.processCheckResult('web02!load', 2, 'LOAD CRITICAL - 42'), [/CRITICAL web02!load/], EVENT_WAIT_MS);
  const ref = /^(#\d+) /.exec(line)![1];
  t.not(ref, diskRef, 'a new problem, a new reference: the closed one is not reused yet');
  const [listed] = await linesAfter(ops, () => alice.say('#ops', '!problems web02'), [/web02!load/]);
  t.match(listed, new RegExp(`^${ref} CRITICAL web02!load for .+: LOAD CRITICAL - 42$`));
});
