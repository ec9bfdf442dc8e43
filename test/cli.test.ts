import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, packageVersion } from '../src/cli.js';

function run(argv: string[], stdinText = '', env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  return main(argv, { stdin: Readable.from([Buffer.from(stdinText)]), stdout, stderr, env }).then((code) => ({ code, out, err }));
}

const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-cli-test-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

t.test('--help and --version', async (t) => {
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /icinga-relay check-config \[--connect\] FILE/);
  t.match(help.out, /icinga-relay test \[--config FILE\] \[DESTINATION...\]/);
  const version = await run(['--version']);
  t.equal(version.out, `icinga-relay ${packageVersion()}\n`);
  t.match(packageVersion(), /^\d+\.\d+\.\d+/);
});

t.test('bad arguments are explained, with the usage', async (t) => {
  for (const argv of [['--bogus'], ['frobnicate'], ['format', 'a', 'b'], ['check-config'], ['--log-level', 'loud'], ['format', '--width', 'x']]) {
    const result = await run(argv);
    t.equal(result.code, 2, argv.join(' '));
    t.not(result.err, '', `${argv.join(' ')} says why`);
  }
});

t.test('check-config: OK, warnings, and every error at once', async (t) => {
  const good = file('good.yml', 'icinga:\n  url: https://127.0.0.1:5665\n  username: relay\n  password: ${PW}\n');
  const ok = await run(['check-config', good], '', { PW: 'secret-pw' });
  t.equal(ok.code, 0);
  t.match(ok.out, /OK \(Icinga2 https:\/\/127\.0\.0\.1:5665; events StateChange, .*; backends console\)/);
  t.notMatch(ok.out + ok.err, /secret-pw/, 'no secret in the output');

  const bad = file('bad.yml', 'icinga:\n  url: ftp://x\n  events: [StateChnage]\n  username: relay\n  password: ${PW}\nchat:\n  console:\n    colour: true\n');
  const result = await run(['check-config', bad], '', {});
  t.equal(result.code, 2);
  t.match(result.err, /icinga\.url: expected an https:\/\/ URL/);
  t.match(result.err, /icinga\.events\[0\]: expected one of/);
  t.match(result.err, /environment variable PW is not set/);
  t.match(result.err, /chat\.console\.colour: unknown key/);
  const missing = await run(['check-config', join(dir, 'nope.yml')]);
  t.equal(missing.code, 2);
  t.match(missing.err, /cannot read .*nope\.yml/);
});

t.test('format: recorded events become lines; bad lines are reported and skipped', async (t) => {
  const { readFileSync } = await import('node:fs');
  const recorded = readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8');
  const checkResult = readFileSync('fixtures/events/CheckResult-service.json', 'utf8');
  const soft = readFileSync('fixtures/events/StateChange-service-soft.json', 'utf8');
  const input = [JSON.stringify(JSON.parse(recorded)), 'not json', '[1,2]', JSON.stringify(JSON.parse(checkResult)), JSON.stringify(JSON.parse(soft)), ''].join('\n');
  const result = await run(['format'], input);
  t.equal(result.code, 1, 'exit 1: some lines were bad');
  const lines = result.out.split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'CheckResult and SOFT are not relayed by default');
  t.match(lines[0], /^CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused/);
  t.match(result.err, /line 2: not valid JSON: not json/);
  t.match(result.err, /line 3: not an Icinga2 event/);

  const withSoft = await run(['format', '--soft-states', '--width', '40', file('events.ndjson', JSON.stringify(JSON.parse(soft)) + '\n')]);
  t.equal(withSoft.code, 0);
  t.equal(withSoft.out.trim().length <= 40, true, 'width applies');
  t.match(withSoft.out, /^WARNING \(soft\) web01!ntp/);

  const config = file('format.yml', 'icinga:\n  url: https://x:5665\n  username: u\n  password_file: pw\n  events: [CheckResult]\nformat:\n  width: 60\n');
  file('pw', 'pw\n');
  const configured = await run(['format', '--config', config, file('cr.ndjson', JSON.stringify(JSON.parse(checkResult)) + '\n')]);
  t.equal(configured.code, 0);
  t.match(configured.out, /web01!http/, 'the config subscribes to CheckResult, so format shows it');
  const unreadable = await run(['format', join(dir, 'missing.ndjson')]);
  t.equal(unreadable.code, 2);
  t.match(unreadable.err, /cannot read .*missing\.ndjson/);
  const badConfig = await run(['format', '--config', join(dir, 'missing.yml')]);
  t.equal(badConfig.code, 2);
});

t.test('run without a usable config explains what is missing', async (t) => {
  const result = await run([], '', {});
  t.equal(result.code, 2);
  t.match(result.err, /environment variable ICINGA_RELAY_URL is not set/);
  t.match(result.err, /embedded default needs the variables/);
});

t.test('test: a destination the config does not have is named, and fails the run', async (t) => {
  const config = file('test.yml', 'icinga:\n  url: https://127.0.0.1:1\n  username: relay\n  password: p\nchat:\n  console: {}\n');
  const result = await run(['test', '--config', config, 'irc:#nope'], '', {});
  t.equal(result.code, 1);
  t.equal(result.out, 'irc:#nope: not delivered: not a destination the chat section configures (console)\n');
});
