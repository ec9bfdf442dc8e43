/**
 * `check-config --connect` against the real Icinga2 the harness starts: the relay's API user
 * passes, a user without the probe's and the commands' permissions is told which, a wrong
 * password and a second URL nobody listens on are reported, each on its own line.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli.js';
import { freePort, startIcinga2 } from './harness/icinga2.js';

const icinga = await startIcinga2();
t.teardown(() => icinga.destroy());
const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-connect-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function checkConnect(user: { username: string; password: string }, urls: string[] = [icinga.url]) {
  const file = join(dir, `${user.username}.yml`);
  writeFileSync(file, `icinga:\n  url: [${urls.join(', ')}]\n  ca_file: ${icinga.caFile}\n  username: ${user.username}\n  password: \${PW}\nchat:\n  console: {}\n`, { mode: 0o600 });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.resume();
  const code = await main(['check-config', '--connect', file], { stdin: Readable.from([]), stdout, stderr, env: { PW: user.password } });
  return { code, lines: out.trim().split('\n').slice(1) };
}

t.test("the relay's API user has every permission the relay uses", async (t) => {
  const { code, lines } = await checkConnect(icinga.users.relay);
  t.equal(code, 0);
  t.match(lines, [new RegExp(`^Icinga2 ${icinga.url}: logged in as ${icinga.users.relay.username} \\(r2\\.\\d+\\.\\d+.*\\) with every permission the relay uses \\(\\d+\\)$`)]);
});

t.test('a user without status/query and the actions is told each one missing', async (t) => {
  const { code, lines } = await checkConnect(icinga.users.restricted);
  t.equal(code, 1);
  t.equal(lines.length, 1);
  t.match(lines[0], `logged in as ${icinga.users.restricted.username}`);
  const missing = lines[0].replace(/^.*lacks: /, '').split(/, (?=[a-z]+\/)/).map((entry) => entry.replace(/ \(.*$/, ''));
  t.same(missing, [
    'status/query',
    'actions/acknowledge-problem',
    'actions/remove-acknowledgement',
    'actions/add-comment',
    'actions/schedule-downtime',
    'actions/remove-downtime',
    'actions/reschedule-check',
  ]);
  t.match(lines[0], 'status/query (the liveness probe)');
});

t.test('a wrong password and an unreachable second master are reported per URL', async (t) => {
  const nobody = `https://127.0.0.1:${await freePort()}`;
  const { code, lines } = await checkConnect({ ...icinga.users.relay, password: 'wrong' }, [icinga.url, nobody]);
  t.equal(code, 1);
  t.same(lines, [
    `Icinga2 ${icinga.url}: authentication failed (HTTP 401): check icinga.username and icinga.password`,
    `Icinga2 ${nobody}: connection refused by ${nobody.replace('https://', '')}: is Icinga2 running, and is icinga.url right?`,
  ]);
});
