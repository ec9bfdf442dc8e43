/**
 * Old messages never run as commands. A real InspIRCd keeps #ops' last lines (chanhistory, +H) and
 * replays them, with server-time tags and in a batch, to whoever joins; a real Icinga2 behind the
 * relay. alice acks and bob asks for status many times; the relay is disconnected by a network
 * operator's KILL, reconnects, rejoins, and is handed the replay: no action is taken again, no
 * reply is sent, the audit gets no line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { acknowledgementOf, EVENT_WAIT_MS, linesAfter, relayConfig, REPLY_WAIT_MS, startedRelay, waitUntil } from './helpers.js';

const NICK = 'icinga-relay';

t.test('a reconnecting relay is handed the channel history: nothing in it runs again', async (t) => {
  const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
  t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
  await Promise.all(['alice', 'bob'].map((name) => ircd.registerAccount(name, `${name}-secret`)));
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');

  const login = (name: string) => ({ port: ircd.port, nick: name, account: { name, password: `${name}-secret` } });
  const [alice, bob] = await Promise.all([login('alice'), login('bob')].map(IrcTestClient.connect));
  t.teardown(() => Promise.all([alice, bob].map((client) => client.quit())));
  // alice opens the channel, so she is its operator, and has it keep its last 200 lines for a day.
  await alice.join('#ops');
  alice.raw('MODE #ops +H 200:1d');
  await alice.waitForLine(/MODE #ops :?\+H/);
  await bob.join('#ops');

  const auditFile = join(icinga.dir, 'audit.jsonl');
  const config = relayConfig(
    icinga,
    `chat:
  irc:
    server: 127.0.0.1
    port: ${ircd.port}
    tls: false
    nick: ${NICK}
    channels: ['#ops']
    colours: false
    rate: { burst: 100, per_second: 100 }
    reconnect: { min: 1s, max: 2s }
commands:
  rate: { burst: 1000, per_second: 1000 }
  audit_file: ${auditFile}
access:
  users:
    "irc:alice": [operator]
    "irc:bob": [viewer]
`,
  );
  const { relay, logger } = await startedRelay(t, config);
  const relayLines = () => bob.messages.filter((message) => message.nick === NICK && bob.client.caseCompare(message.target, '#ops')).map((message) => message.text);
  const auditLines = () => readFileSync(auditFile, 'utf8').trim().split('\n');

  t.same(await linesAfter(relayLines, () => alice.say('#ops', '!ack web01!http looking'), [/^acknowledged /]), ['acknowledged web01!http until it recovers']);
  for (let index = 0; index < 20; index++) bob.say('#ops', '!status web01!http');
  await waitUntil(() => relayLines().filter((line) => /^web01!http is CRITICAL/.test(line)).length === 20 || undefined, REPLY_WAIT_MS, 'the 20 status answers');
  await waitUntil(async () => (await acknowledgementOf(icinga, 'web01!http')).acknowledgement > 0 || undefined, EVENT_WAIT_MS, 'the ack in Icinga2');
  // Taken back elsewhere: a replayed !ack would now succeed, and show.
  const received: string[] = [];
  relay.stream.on('event', (event) => received.push(event.type));
  const removed = await icinga.api('POST', '/v1/actions/remove-acknowledgement', { type: 'Service', service: 'web01!http' });
  t.equal(removed.status, 200);
  // Both events of the removal: the CommentRemoved can come a tick after the AcknowledgementCleared (seen on 2.13 and 2.14 under load).
  // The acknowledgement's comment is never a line of its own (it echoes the acknowledgement): it is waited for as received.
  await waitUntil(
    () => (relayLines().some((line) => /^Acknowledgement cleared for web01!http/.test(line)) && received.includes('CommentRemoved')) || undefined,
    EVENT_WAIT_MS,
    () => `the AcknowledgementCleared line and the CommentRemoved event; received: ${received.join(', ')}; the channel:\n${relayLines().join('\n')}`,
  );
  const audited = auditLines().length;
  const linesBefore = relayLines().length;

  const rejoined = bob.waitForLine(new RegExp(`:${NICK}!\\S+ JOIN :?#ops`, 'i'), 20_000);
  await ircd.killClient(NICK, 'testing history replay');
  await rejoined;
  await waitUntil(() => relay.backends[0].connected || undefined, 20_000, 'the relay back in #ops');
  // The replay comes right after the JOIN; give the relay ample time to (wrongly) act on it.
  await waitUntil(() => logger.lines.some((line) => line.includes('ignored a replayed line')) || undefined, REPLY_WAIT_MS, () => `the replay seen; the log:\n${logger.lines.join('\n')}`);
  await new Promise((resolve) => setTimeout(resolve, 3_000));

  const ignored = (from: string) => logger.lines.filter((line) => line.includes('ignored a replayed line') && line.includes(`from=${from} `)).length;
  t.equal(ignored('alice'), 1, "alice's ack came back in the replay and was ignored");
  t.equal(ignored('bob'), 20, "so did bob's 20 status lines");
  t.ok(ignored(NICK) > 20, "and the relay's own old lines, which are no echo of anything it sends now");
  t.same(relayLines().slice(linesBefore), [], 'no reply to any replayed line');
  t.equal((await acknowledgementOf(icinga, 'web01!http')).acknowledgement, 0, 'the ack was not taken again');
  t.equal(auditLines().length, audited, 'the audit has no new line');

  // And the relay still answers what is said now.
  t.match(await linesAfter(relayLines, () => bob.say('#ops', '!status web01!http'), [/^web01!http is /]), [/^web01!http is CRITICAL/]);
});
