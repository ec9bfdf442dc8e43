/**
 * An alert counts as delivered only once sent. The built relay, with a real Icinga2 and a real
 * InspIRCd, relays to an IRC channel paced at one line a minute: the first problem goes out at
 * once, the next two wait in the outgoing queue. The relay is SIGKILLed with them queued and
 * started again with the same state directory: its catch-up lists the two that never reached the
 * channel, and not the one that did.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HARD_STATES_FILE } from '../../src/catchup.js';
import { freePort, startIcinga2 } from '../harness/icinga2.js';
import { waitForExit } from '../harness/daemon.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { relayProcesses } from '../helpers/process.js';
import { EVENT_WAIT_MS, waitUntil } from '../commands/helpers.js';

const NICK = 'icinga-relay';

t.test('relay SIGKILLed with alerts queued: the restarted relay reports every queued object', async (t) => {
  const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
  t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
  for (const object of ['web01!http', 'web02!load', 'db01!disk']) await icinga.processCheckResult(object, 0, 'OK');

  const stateDir = join(icinga.dir, 'relay-state');
  mkdirSync(stateDir);
  const httpPort = await freePort();
  const configFile = join(icinga.dir, 'relay.yml');
  writeFileSync(
    configFile,
    [
      'icinga:',
      `  url: ${icinga.url}`,
      `  ca_file: ${icinga.caFile}`,
      `  username: ${icinga.users.relay.username}`,
      `  password: ${icinga.users.relay.password}`,
      'state:',
      `  dir: ${stateDir}`,
      'http:',
      `  listen: 127.0.0.1:${httpPort}`,
      'chat:',
      '  irc:',
      '    server: 127.0.0.1',
      `    port: ${ircd.port}`,
      '    tls: false',
      `    nick: ${NICK}`,
      "    channels: ['#ops']",
      '    colours: false',
      // One line now, then one a minute: what comes after the first waits in the queue.
      '    rate: { burst: 1, per_second: 0.0167 }',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const startRelay = relayProcesses(t, configFile);

  const watcher = await IrcTestClient.connect({ port: ircd.port, nick: 'watcher' });
  t.teardown(() => watcher.quit());
  await watcher.join('#ops');
  const relayLines = () => watcher.messages.filter((message) => message.nick === NICK).map((message) => message.text);

  const first = startRelay();
  await first.waitFor('stderr', /no saved hard states: recorded the current ones/, EVENT_WAIT_MS);
  await first.waitFor('stderr', /joined .*channel=#ops/, EVENT_WAIT_MS);

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await waitUntil(() => relayLines().some((line) => line.includes('web01!http')), EVENT_WAIT_MS, () => `web01!http in #ops; stderr:\n${first.stderr.join('\n')}`);
  const saved = () =>
    existsSync(join(stateDir, HARD_STATES_FILE)) ? (JSON.parse(readFileSync(join(stateDir, HARD_STATES_FILE), 'utf8')) as { savedAt: number; states: Record<string, { state: string }> }) : undefined;
  // Sent, so announced: saved a few seconds later (a debounced write).
  await waitUntil(() => saved()?.states['web01!http']?.state === 'CRITICAL', 20_000, `web01!http CRITICAL in ${HARD_STATES_FILE} once sent`);

  await icinga.processCheckResult('web02!load', 2, 'LOAD CRITICAL');
  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL');
  // Both reached the relay and wait in its IRC queue (the minute's token is spent).
  const queued = async () => {
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((answer) => answer.text());
    const depth = Number(/icinga_relay_queue_depth\{queue="backend:irc"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    const received = Number(/icinga_relay_events_received_total\{type="StateChange"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    return depth >= 1 && received >= 3;
  };
  await waitUntil(queued, EVENT_WAIT_MS, 'the two problems queued behind the rate limit');
  const queuedAt = Date.now();
  // The changes were saved at most a few seconds after they came, maybe before we saw them queued:
  // wait a while for a later save, and read the file either way.
  await waitUntil(() => (saved()!.savedAt > queuedAt || Date.now() > queuedAt + 8_000 ? true : undefined), 15_000, 'a save or the debounce time');
  const { states } = saved()!;
  t.equal(states['web01!http']?.state, 'CRITICAL', 'the problem that reached the channel is announced');
  t.equal(states['web02!load']?.state, 'OK', 'a queued problem is not announced yet');
  t.equal(states['db01!disk']?.state, 'OK', 'neither is the other');
  t.notOk(relayLines().some((line) => /web02!load|db01!disk/.test(line)), 'and neither reached the channel');

  first.child.kill('SIGKILL');
  t.ok(await waitForExit(first.child, 5_000), 'the relay died with the two queued');

  const before = relayLines().length;
  const second = startRelay();
  const summary = await waitUntil(
    () => relayLines().slice(before).find((line) => /While the relay was stopped/.test(line)),
    EVENT_WAIT_MS,
    () => `the catch-up in #ops; stderr:\n${second.stderr.join('\n')}`,
  );
  t.match(summary, /While the relay was stopped \([^)]+\): 2 new problems: (db01!disk CRITICAL, web02!load CRITICAL|web02!load CRITICAL, db01!disk CRITICAL)$/, 'every queued object is reported');
  t.notMatch(summary, /web01!http/, 'the delivered one is not repeated');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0, 'and it stops cleanly');
});
