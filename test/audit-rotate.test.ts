/**
 * logrotate and the built relay (`dist/src/cli.js`, needs `npm run build`; npm test does it):
 * after the audit file is moved away, SIGHUP makes the relay write a new one by its name, also
 * when the reloaded config is rejected. Commands are typed on the console (stdin); no Icinga2 is
 * needed for whoami and help.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { waitUntil } from './commands/helpers.js';
import { watchProcess } from './helpers/process.js';

const WAIT_MS = 15_000;

t.test('SIGHUP reopens the audit file after logrotate moved it', async (t) => {
  const dir = t.testdir({});
  const audit = join(dir, 'audit.jsonl');
  const configFile = join(dir, 'relay.yml');
  const config = [
    'icinga:',
    // Nothing listens there: the relay keeps retrying, commands that need no Icinga2 work meanwhile.
    '  url: https://127.0.0.1:1',
    '  username: relay',
    '  password: secret',
    'chat:',
    '  console:',
    '    timestamps: never',
    'commands:',
    `  audit_file: ${audit}`,
    '',
  ].join('\n');
  writeFileSync(configFile, config, { mode: 0o600 });
  const relay = watchProcess(process.execPath, ['dist/src/cli.js', '--config', configFile], { PATH: process.env.PATH }, { stdin: 'pipe' });
  t.teardown(() => {
    relay.child.kill('SIGKILL');
  });
  await relay.waitFor('stderr', /icinga-relay starting/, WAIT_MS);
  const commands = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line).command) : []);
  const typed = async (command: string, file: string) => {
    const before = commands(file).length;
    relay.child.stdin!.write(`${command}\n`);
    await waitUntil(() => commands(file).length > before || undefined, WAIT_MS, `${command} in ${file}`);
  };

  await typed('whoami', audit);
  renameSync(audit, `${audit}.1`);
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /reloading: chat connections/, WAIT_MS);
  await typed('help', audit);
  t.same(commands(audit), ['help'], 'a new file by the configured name');
  t.same(commands(`${audit}.1`), ['whoami'], 'the rotated one is left alone');

  // A config that does not load: the running relay stays, and still lets go of the rotated file.
  renameSync(audit, `${audit}.2`);
  writeFileSync(configFile, 'icinga:\n  url: ftp://nowhere\n');
  relay.child.kill('SIGHUP');
  await relay.waitFor('stderr', /reload rejected, the running configuration stays/, WAIT_MS);
  await typed('help whoami', audit);
  t.same(commands(audit), ['help whoami']);
  t.same(commands(`${audit}.2`), ['help']);

  relay.child.kill('SIGTERM');
  t.equal(await relay.exited, 0);
});
