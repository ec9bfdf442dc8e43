/**
 * The built `icinga-relay` binary against a real Icinga2: events become console lines, SIGHUP
 * reloads (and rejects a broken config), SIGTERM stops cleanly. Needs `npm run build` (npm test does it).
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIcinga2 } from './harness/icinga2.js';
import { watchProcess } from './helpers/process.js';

// Icinga2 2.13 delivers events in ~5 s ticks.
const EVENT_WAIT_MS = 20_000;

t.test('relays real events, reloads on SIGHUP, stops on SIGTERM', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const configFile = join(icinga.dir, 'relay.yml');
  const passwordFile = join(icinga.dir, 'relay-password');
  writeFileSync(passwordFile, icinga.users.relay.password + '\n', { mode: 0o600 });
  const config = (width: number) =>
    [
      'icinga:',
      `  url: ${icinga.url}`,
      `  ca_file: ${icinga.caFile}`,
      `  username: ${icinga.users.relay.username}`,
      `  password_file: ${passwordFile}`,
      'format:',
      `  width: ${width}`,
      'chat:',
      '  console:',
      '    timestamps: never',
      '',
    ].join('\n');
  writeFileSync(configFile, config(400), { mode: 0o600 });

  const relay = watchProcess(process.execPath, ['dist/src/cli.js', '--config', configFile], { PATH: process.env.PATH });
  t.teardown(() => {
    relay.child.kill('SIGKILL');
  });
  await relay.waitFor('stderr', /event stream connected/, 15_000);

  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused');
  const line = await relay.waitFor('stdout', /web01!http/, EVENT_WAIT_MS);
  t.match(line, /^#\d+ CRITICAL web01!http: HTTP CRITICAL - connection refused/);
  t.notOk(relay.stderr.some((l) => l.includes(icinga.users.relay.password)), 'the password never reaches the log');

  writeFileSync(configFile, 'icinga:\n  url: ftp://nowhere\n');
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /reload rejected, the running configuration stays/, 10_000);
  t.equal(relay.child.exitCode, null, 'a broken config does not stop the relay');

  writeFileSync(configFile, config(40), { mode: 0o600 });
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /reloading the configuration/, 10_000);
  const connections = () => relay.stderr.filter((l) => l.includes('event stream connected')).length;
  for (let i = 0; i < 100 && connections() < 2; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(connections(), 2, 'the reloaded relay connected again');
  t.match(relay.stderr.join('\n'), /reloading: chat connections kept=console replaced=none/, 'only format changed: the console backend carried over');
  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - / is full and this text is longer than forty characters');
  const narrow = await relay.waitFor('stdout', /web02!disk/, EVENT_WAIT_MS);
  t.ok(narrow.length <= 40, `the new width applies: ${narrow}`);

  relay.child.kill('SIGTERM');
  t.equal(await relay.exited, 0, 'SIGTERM: clean exit 0');
  t.match(relay.stderr.join('\n'), /stopping signal=SIGTERM/);
});
