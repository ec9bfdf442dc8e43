/** The shipped unit must load cleanly and stay hardened: systemd's own checks, run offline. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { relayV8Flags } from './helpers/v8-flags.js';

const run = promisify(execFile);
const UNIT = 'systemd/icinga-relay.service';
// "OK" in systemd-analyze's scale; the issue asks for 2.0 or lower.
const MAX_EXPOSURE = 2.0;

t.test('systemd-analyze verify accepts the unit', async (t) => {
  const { stdout, stderr } = await run('systemd-analyze', ['verify', UNIT]);
  t.equal(stdout + stderr, '', 'no warnings');
});

t.test(`systemd-analyze security scores the unit ${MAX_EXPOSURE} or lower`, async (t) => {
  const { stdout } = await run('systemd-analyze', ['security', '--offline=true', UNIT]);
  const score = Number(/Overall exposure level for icinga-relay\.service: ([\d.]+)/.exec(stdout)?.[1]);
  t.ok(score <= MAX_EXPOSURE, `exposure ${score}`);
});

t.test('the unit runs the relay unprivileged with the config from /etc and reloads with SIGHUP', async (t) => {
  const { readFileSync } = await import('node:fs');
  const unit = readFileSync(UNIT, 'utf8');
  t.match(unit, /^User=icinga-relay$/m);
  t.match(unit, /^ExecStart=\/usr\/bin\/node (--\S+ )*\/opt\/icinga-relay\/dist\/src\/cli\.js --config \/etc\/icinga-relay\/config\.yml$/m);
  t.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  t.match(unit, /^Restart=on-failure$/m);
  t.match(unit, /^RestartPreventExitStatus=2$/m, 'a config error (exit 2) is not restarted every 5 s forever');
  t.match(unit, /^EnvironmentFile=-\/etc\/icinga-relay\/env$/m, "the example config's ${ICINGA_RELAY_PASSWORD} comes from here");
  t.notMatch(unit, /^MemoryDenyWriteExecute=yes/m, "Node's JIT needs writable executable memory");
});

t.test('a config error exits 2, which the unit does not restart', async (t) => {
  const { readFileSync } = await import('node:fs');
  const prevented = /^RestartPreventExitStatus=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))?.[1].split(' ');
  const result = await run(process.execPath, ['dist/src/cli.js', '--config', '/nonexistent/icinga-relay.yml']).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
  t.equal(result, 2);
  t.ok(prevented?.includes(String(result)), `exit ${result} is in RestartPreventExitStatus=${prevented?.join(' ')}`);
});

t.test("the unit runs node with the V8 flags of the bin's first line, and node takes them", async (t) => {
  const { readFileSync } = await import('node:fs');
  const execStart = /^ExecStart=\/usr\/bin\/node (.*?) ?\/opt\/icinga-relay\//m.exec(readFileSync(UNIT, 'utf8'))?.[1];
  t.same(execStart?.split(' '), relayV8Flags());
  t.ok(relayV8Flags().length > 0, 'flags to check');
  // Run as the README's install does: the built bin itself, through its first line (npm run build makes it executable).
  const { stdout } = await run('dist/src/cli.js', ['--version']);
  t.match(stdout, /^icinga-relay \d+\.\d+\.\d+/, 'a bad flag would stop node before the version');
  const flags = relayV8Flags();
  // Garbage enough to grow the young generation to its limit: 32 MB in Node 20 without the flag.
  const youngGrowth = [
    "let kept = [], largest = 0;",
    'for (let i = 0; i < 3e6; i++) {',
    '  kept.push({ i }); if (kept.length > 2e5) kept = [];',
    "  if (i % 1e4 === 0) largest = Math.max(largest, v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size);",
    '}',
    'largest',
  ].join('\n');
  const { stdout: largest } = await run(process.execPath, [...flags, '-p', youngGrowth]);
  t.ok(Number(largest) <= 2 * 4 * 1024 * 1024, `new space at most ${largest} bytes: two semi-spaces of at most 4 MB`);
});
