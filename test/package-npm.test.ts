/**
 * `npm pack` as from a clean clone: in a copy of the repository's files (no dist/), so `prepack`
 * must build, then `npm install -g` of the tarball into a temp prefix runs with production
 * dependencies only.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
// A TypeScript build and an install from the registry's cache take a while on a loaded machine.
t.setTimeout(480_000);
const BIG = { maxBuffer: 64 * 1024 * 1024 };
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

const work = mkdtempSync(join(tmpdir(), 'icinga-relay-npm-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const clone = join(work, 'clone');
const { stdout: listed } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], BIG);
for (const file of listed.split('\n').filter((path) => path && existsSync(path))) {
  mkdirSync(join(clone, dirname(file)), { recursive: true });
  cpSync(file, join(clone, file));
}
// The dev dependencies `npm ci` would install; only the build reads them.
symlinkSync(resolve('node_modules'), join(clone, 'node_modules'));

const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', work], { ...BIG, cwd: clone });
const [manifest] = JSON.parse(packed.slice(packed.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
const tarball = join(work, manifest.filename);
const prefix = join(work, 'prefix');

t.test('the tarball holds the built relay and nothing of the tests', async (t) => {
  const files = manifest.files.map((file) => file.path);
  t.ok(files.includes('dist/src/cli.js'), 'prepack built the relay');
  t.ok(files.includes('dist/formatters/index.js'));
  for (const shipped of ['config.example.yml', 'config.schema.json', 'slack-app-manifest.yml', 'dashboards/icinga-relay.grafana.json', 'dashboards/icinga-relay.rules.yml']) t.ok(files.includes(shipped), shipped);
  t.same(files.filter((path) => /^(test|fixtures|src|formatters)\/|^dist\/test\/|\.(ts|map)$/.test(path)), [], 'no tests, fixtures, sources or source maps');
});

t.test('npm install -g installs it with production dependencies only, and it runs', async (t) => {
  await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], BIG);
  const installed = join(prefix, 'lib/node_modules/icinga-relay');
  const modules = readdirSync(join(installed, 'node_modules'));
  t.ok(modules.includes('undici'), 'a production dependency');
  t.notOk(modules.includes('tap') || modules.includes('typescript'), 'no dev dependencies');

  const bin = join(prefix, 'bin/icinga-relay');
  t.equal((await run(bin, ['--version'])).stdout, `icinga-relay ${version}\n`);
  const config = join(work, 'config.yml');
  writeFileSync(config, 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: ${PW}\nchat:\n  console: {}\n');
  const { stdout } = await run(bin, ['check-config', config], { env: { ...process.env, PW: 'secret' } });
  t.match(stdout, /config\.yml: OK \(Icinga2 https:\/\/icinga\.example\.org:5665;.*backends console/);
});
