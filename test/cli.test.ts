import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const recorded = readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8');
  const checkResult = readFileSync('fixtures/events/CheckResult-service.json', 'utf8');
  const soft = readFileSync('fixtures/events/StateChange-service-soft.json', 'utf8');
  const input = [JSON.stringify(JSON.parse(recorded)), 'not json', '[1,2]', JSON.stringify(JSON.parse(checkResult)), JSON.stringify(JSON.parse(soft)), ''].join('\n');
  const result = await run(['format'], input);
  t.equal(result.code, 1, 'exit 1: some lines were bad');
  const lines = result.out.split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'CheckResult and SOFT are not relayed by default');
  t.match(lines[0], /^CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused/);
  t.match(result.err, /stdin:2: not valid JSON: not json/);
  t.match(result.err, /stdin:3: not an Icinga2 event/);

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

t.test("Node's option-parser errors become the relay's own message and usage", async (t) => {
  const cases: [string[], string][] = [
    [['-v'], 'unknown option -v (--version prints the version; --log-level debug logs more)\n'],
    [['--bogus'], 'unknown option --bogus\n'],
    [['--config'], '--config needs a value\n'],
    [['-c'], '--config needs a value\n'],
    [['--help=yes'], '--help takes no value\n'],
  ];
  for (const [argv, first] of cases) {
    const result = await run(argv);
    t.equal(result.code, 2, argv.join(' '));
    t.ok(result.err.startsWith(first + 'Usage:\n'), `${argv.join(' ')}: ${JSON.stringify(result.err.split('\n')[0])}`);
    t.notMatch(result.err, /positional argument|<value>/, "none of Node's wording");
  }
});

t.test('format reads the shipped pretty-printed fixtures, several files at once, JSON arrays and NDJSON', async (t) => {
  const fixtures = readdirSync('fixtures/events').filter((name) => name.endsWith('.json')).map((name) => join('fixtures/events', name));
  t.ok(fixtures.length > 10);
  const all = await run(['format', ...fixtures]);
  t.equal(all.err, '', 'no complaints');
  t.equal(all.code, 0);
  t.match(all.out, /^CRITICAL web01!http: HTTP CRITICAL - Unable to open TCP socket: connection refused/m);
  t.match(all.out, /acknowledged web01!http/);

  const critical = JSON.parse(readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8'));
  const single = await run(['format', 'fixtures/events/StateChange-service-critical.json']);
  const array = await run(['format', file('array.json', JSON.stringify([critical, { ...critical, host: 'web02' }], null, 2))]);
  const ndjson = await run(['format'], `${JSON.stringify(critical)}\n\n${JSON.stringify({ ...critical, host: 'web02' })}\n`);
  t.equal(single.out.split('\n').filter(Boolean).length, 1);
  t.same(array.out.split('\n').filter(Boolean).map((line) => line.split(':')[0]), ['CRITICAL web01!http', 'CRITICAL web02!http']);
  t.equal(ndjson.out, array.out, 'NDJSON gives the same lines as the array');
  const badItem = await run(['format', file('bad-array.json', JSON.stringify([critical, 42]))]);
  t.equal(badItem.code, 1);
  t.match(badItem.err, /bad-array\.json\[1\]: not an Icinga2 event/);
});

t.test('format --explain says why an event shows nothing', async (t) => {
  const fixture = (name: string) => readFileSync(`fixtures/events/${name}.json`, 'utf8');
  const result = await run(['format', '--explain'], [fixture('CheckResult-service'), fixture('StateChange-service-soft'), fixture('StateChange-service-critical')].map((text) => JSON.stringify(JSON.parse(text))).join('\n'));
  t.equal(result.code, 0);
  t.same(result.out.split('\n').filter(Boolean).map((line) => line.replace(/: HTTP CRITICAL.*$/, '')), [
    '[not shown] stdin:1: CheckResult web01!http: CheckResult is not among the subscribed event types (icinga.events), so the relay never receives it',
    '[not shown] stdin:2: StateChange web01!ntp: a SOFT state: relayed only with format.soft_states (--soft-states)',
    'CRITICAL web01!http',
  ]);
  const quiet = await run(['format'], JSON.stringify(JSON.parse(fixture('CheckResult-service'))));
  t.equal(quiet.out, '', 'without --explain, nothing');
});

t.test('format --noise applies dedup, storm grouping and explains each', async (t) => {
  const critical = JSON.parse(readFileSync('fixtures/events/StateChange-service-critical.json', 'utf8'));
  const at = (seconds: number, changes: object) => JSON.stringify({ ...critical, timestamp: critical.timestamp + seconds, ...changes });
  const input = [
    at(0, {}),
    at(0.1, {}), // the same change again: deduplicated
    ...['disk', 'load', 'swap', 'mysql'].map((service, i) => at(30 + i * 0.1, { host: 'db01', service })),
  ].join('\n');
  const plain = await run(['format'], input);
  t.equal(plain.out.split('\n').filter(Boolean).length, 6, 'without --noise: one line per event');
  const result = await run(['format', '--noise', '--explain'], input);
  t.equal(result.code, 0);
  t.same(result.out.split('\n').filter(Boolean).map((line) => line.replace(/: HTTP CRITICAL - .*$/, '')), [
    'CRITICAL web01!http',
    '[not shown] stdin:2: StateChange web01!http: deduplicated: the same change was shown within noise.dedup.window',
    'CRITICAL db01!disk',
    '[not shown] stdin:4: StateChange db01!load: held by noise control (a storm window or the rate limit): see the summary that follows',
    '[not shown] stdin:5: StateChange db01!swap: held by noise control (a storm window or the rate limit): see the summary that follows',
    '[not shown] stdin:6: StateChange db01!mysql: held by noise control (a storm window or the rate limit): see the summary that follows',
    'db01: 3 services CRITICAL: load, swap, mysql',
  ]);
});

t.test('run without a usable config explains what is missing', async (t) => {
  const result = await run([], '', {});
  t.equal(result.code, 2);
  t.match(result.err, /environment variable ICINGA_RELAY_URL is not set/);
  t.match(result.err, /embedded default needs the variables/);
});

t.test('check-config reads and parses every file the config names, and names the key and the file', async (t) => {
  const { TEST_CERT_PEM, TEST_KEY_PEM } = await import('./helpers/pem.js');
  const notPem = file('not-a-ca.crt', 'this is not a certificate\n');
  const cert = file('relay.crt', TEST_CERT_PEM);
  const key = file('relay.key', TEST_KEY_PEM);
  const yaml = (ca: string, certFile: string, keyFile: string) =>
    file('pem.yml', `icinga:\n  url: https://127.0.0.1:5665\n  ca_file: ${ca}\n  cert_file: ${certFile}\n  key_file: ${keyFile}\nchat:\n  irc: { server: irc.example.org, channels: ['#ops'], ca_file: ${ca} }\n`);
  const good = await run(['check-config', yaml(cert, cert, key)]);
  t.equal(good.code, 0, good.err);
  const bad = await run(['check-config', yaml(notPem, key, cert)]);
  t.equal(bad.code, 2);
  t.match(bad.err, `icinga.ca_file: ${notPem} is not a CA certificate file (PEM): no PEM certificate in it`);
  t.match(bad.err, `icinga.cert_file: ${key} is not a client certificate file (PEM): no PEM certificate in it`);
  t.match(bad.err, `icinga.key_file: ${cert} is not a private key file (PEM): not a readable private key`);
  t.match(bad.err, `chat.irc.ca_file: ${notPem} is not a CA certificate file (PEM)`);
  t.notMatch(bad.err, /\n\s+at /, 'no stack trace');

  // The daemon says the same and exits 2 (the unit does not restart it), never with a stack trace.
  const daemon = await run(['--config', yaml(notPem, cert, key)]);
  t.equal(daemon.code, 2);
  t.match(daemon.err, /icinga\.ca_file: .*not-a-ca\.crt is not a CA certificate file/);
  t.notMatch(daemon.err, /\n\s+at |Error: /);
});

t.test('check-config: an unquoted #channel gets a hint, a typo the closest key, a route to an unknown destination comes in the first report', async (t) => {
  const icinga = 'icinga:\n  url: https://127.0.0.1:5665\n  username: relay\n  password: pw\n';
  const flow = await run(['check-config', file('flow.yml', `${icinga}chat:\n  irc:\n    server: irc.example.org\n    channels: [#ops]\n`)]);
  t.equal(flow.code, 2);
  t.match(flow.err, /YAML syntax error at line 8/);
  t.match(flow.err, "line 8: # starts a comment in YAML, so #ops is not read as a channel name: quote it ('#ops')");
  const block = await run(['check-config', file('block.yml', `${icinga}chat:\n  irc:\n    server: irc.example.org\n    channels:\n      - #ops\n`)]);
  t.equal(block.code, 2);
  t.match(block.err, "line 9: # starts a comment in YAML, so #ops is not read as a channel name: quote it ('#ops')");

  const typo = await run(['check-config', file('typo.yml', `${icinga}chat:\n  irc:\n    server: irc.example.org\n    chanels: ['#ops']\n`)]);
  t.match(typo.err, /chat\.irc\.chanels: unknown key, did you mean channels\? \(allowed: /);
  t.notMatch(typo.err, /starts a comment/, 'no comment hint where the channel is quoted');

  // Two problems in one file: the unknown key and a route to a channel the chat section lacks. Both at once.
  const both = await run(['check-config', file('both.yml', `${icinga}format: { widt: 100 }\nchat:\n  irc: { server: irc.example.org, channels: ['#ops'] }\nroutes:\n  - to: ['irc:#opz']\n`)]);
  t.equal(both.code, 2);
  t.match(both.err, /format\.widt: unknown key, did you mean width\?/);
  t.match(both.err, /routes\[0\]\.to\[0\]: expected a destination the chat section configures \(irc:#ops\) but found "irc:#opz"/);
});

t.test('a file the checking user cannot read: the error names that user and the service user, and how to check as it', async (t) => {
  const { chmodSync, chownSync } = await import('node:fs');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { userInfo } = await import('node:os');
  const passwordFile = file('password', 'secret\n');
  chmodSync(passwordFile, 0o600);
  const config = file('eacces.yml', `icinga:\n  url: https://127.0.0.1:5665\n  username: relay\n  password_file: ${passwordFile}\n`);
  chmodSync(config, 0o644);
  chmodSync(dir, 0o755);
  // As root nothing is denied: check as nobody, as an admin would check as the service user.
  if (userInfo().uid === 0) chownSync(passwordFile, 0, 0);
  const args = ['dist/src/cli.js', 'check-config', config];
  const result = await promisify(execFile)('runuser', ['-u', 'nobody', '--', process.execPath, ...args]).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  t.equal(result.code, 2);
  t.match(
    result.stderr,
    `icinga.password_file: cannot read ${passwordFile} (permission denied for user nobody; the service runs as icinga-relay: give the file owner root, group icinga-relay, mode 0640, and check as that user: sudo -u icinga-relay icinga-relay check-config FILE)`,
  );
});

t.test('test: a destination the config does not have is named, and fails the run', async (t) => {
  const config = file('test.yml', 'icinga:\n  url: https://127.0.0.1:1\n  username: relay\n  password: p\nchat:\n  console: {}\n');
  const result = await run(['test', '--config', config, 'irc:#nope'], '', {});
  t.equal(result.code, 1);
  t.equal(result.out, 'irc:#nope: not delivered: not a destination the chat section configures (console)\n');
});
