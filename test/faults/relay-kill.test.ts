/**
 * The built relay (`dist/src/cli.js`, needs `npm run build`; npm test does it) killed with SIGKILL
 * and started again with the same state directory: its catch-up summary lists exactly the two
 * changes made while it was dead.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HARD_STATES_FILE } from '../../src/catchup.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { waitForExit } from '../harness/daemon.js';
import { relayProcesses } from '../helpers/process.js';
import { relayConfigFile, waitUntil } from '../commands/helpers.js';

t.test('relay SIGKILL: the restarted relay reports exactly the changes made while it was dead', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  await icinga.processCheckResult('web02!load', 0, 'LOAD OK');
  await icinga.processCheckResult('db01!disk', 2, 'DISK CRITICAL');

  const stateDir = join(icinga.dir, 'relay-state');
  mkdirSync(stateDir);
  const configFile = relayConfigFile(icinga, [`  ca_file: ${icinga.caFile}`], ['state:', `  dir: ${stateDir}`, 'chat:', '  console:', '    timestamps: never']);
  const startRelay = relayProcesses(t, configFile);

  const first = startRelay();
  await first.waitFor('stderr', /no saved hard states: recorded the current ones/, 15_000);
  // Saved a few seconds after the reading (a debounced, atomic write).
  await waitUntil(() => existsSync(join(stateDir, HARD_STATES_FILE)), 15_000, () => `${HARD_STATES_FILE} in ${stateDir}; stderr:\n${first.stderr.join('\n')}`);
  first.child.kill('SIGKILL');
  t.ok(await waitForExit(first.child, 5_000), 'the relay died');
  t.equal(first.child.signalCode, 'SIGKILL');

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await icinga.processCheckResult('web02!load', 1, 'LOAD WARNING');

  const second = startRelay();
  const summary = await second.waitFor('stdout', /While the relay was stopped/, 20_000);
  t.match(summary, /While the relay was stopped \(\d+ s\): 2 new problems: web01!http CRITICAL, web02!load WARNING$/);
  t.notMatch(summary, /db01!disk/, 'an unchanged problem is not reported again');
  t.equal(second.stdout.filter((line) => /While the relay was stopped/.test(line)).length, 1, 'one summary');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0, 'and it stops cleanly');
});
