/**
 * The .deb as an admin meets it: built by `npm run package:deb`, installed with dpkg into a
 * Debian 13 root (Debian's own nodejs and systemd) that an overlay keeps pristine for the next run,
 * then the installed command, user, permissions and unit are checked there, and purge cleans up.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
// Building the package, lintian and dpkg take minutes on a loaded machine.
t.setTimeout(600_000);
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const BIG = { maxBuffer: 64 * 1024 * 1024 };

const work = mkdtempSync(join(tmpdir(), 'icinga-relay-deb-'));
// Both take a minute or more on a fresh machine: side by side.
const [{ stdout: debPath }, { stdout: basePath }] = await Promise.all([
  run('bash', ['packaging/build-deb.sh', '--no-build', join(work, `icinga-relay_${version}_all.deb`)], BIG),
  run('bash', ['test/harness/debian13-root.sh'], BIG),
]);
const deb = debPath.trim();

// An overlay over the Debian 13 root: what dpkg writes goes to this run's upper dir.
const root = join(work, 'root');
for (const dir of ['upper', 'overlay-work', 'root']) mkdirSync(join(work, dir));
await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${basePath.trim()},upperdir=${join(work, 'upper')},workdir=${join(work, 'overlay-work')}`, root]);
t.teardown(async () => {
  await run('umount', [root]);
  rmSync(work, { recursive: true, force: true });
});
const inRoot = (command: string[], env: Record<string, string> = {}) =>
  run('chroot', [root, 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command], BIG);

t.test('the package holds the relay, its production modules and no tests or fixtures', async (t) => {
  const { stdout: info } = await run('dpkg-deb', ['--field', deb, 'Package', 'Version', 'Architecture', 'Depends']);
  t.match(info, `Package: icinga-relay\nVersion: ${version}\nArchitecture: all\nDepends: nodejs (>= 20), adduser`);
  const { stdout: contents } = await run('dpkg-deb', ['--contents', deb], BIG);
  const paths = contents.split('\n').filter(Boolean).map((line) => line.split(/\s+/).slice(5).join(' ').replace(/^\./, ''));
  t.ok(paths.includes('/usr/lib/icinga-relay/dist/src/cli.js'));
  t.ok(paths.includes('/usr/lib/icinga-relay/node_modules/undici/package.json'), 'a production dependency');
  for (const shared of ['config.schema.json', 'slack-app-manifest.yml', 'icinga-relay.grafana.json', 'icinga-relay.rules.yml']) t.ok(paths.includes(`/usr/share/icinga-relay/${shared}`), shared);
  t.notOk(paths.some((path) => path.includes('/node_modules/tap/') || path.includes('/node_modules/typescript/')), 'no dev dependencies');
  t.same(paths.filter((path) => /\/(dist\/test|fixtures)\//.test(path)), [], 'no tests or fixtures');
  t.equal((await run('dpkg-deb', ['--info', deb, 'conffiles'])).stdout, '/etc/icinga-relay/config.yml\n');
});

t.test('lintian finds nothing to report', async (t) => {
  const { stdout, stderr } = await run('lintian', ['--allow-root', deb], BIG).catch((error: { stdout: string; stderr: string }) => error);
  t.equal(stdout.trim(), '', stderr);
});

t.test('installs into Debian 13 with its nodejs and runs', async (t) => {
  await run('cp', [deb, join(root, 'tmp/icinga-relay.deb')]);
  const install = await inRoot(['dpkg', '-i', '/tmp/icinga-relay.deb']);
  t.match(install.stdout, /Setting up icinga-relay/);
  t.equal((await inRoot(['icinga-relay', '--version'])).stdout, `icinga-relay ${version}\n`);

  const { stdout: user } = await inRoot(['getent', 'passwd', 'icinga-relay']);
  t.match(user, /^icinga-relay:x:\d+:\d+:[^:]*:\/var\/lib\/icinga-relay:\/usr\/sbin\/nologin$/m, 'a system user without a shell');
  const { stdout: modes } = await inRoot(['stat', '-c', '%n %a %U:%G', '/etc/icinga-relay', '/etc/icinga-relay/config.yml', '/var/lib/icinga-relay']);
  t.equal(modes, [
    '/etc/icinga-relay 750 root:icinga-relay',
    '/etc/icinga-relay/config.yml 640 root:icinga-relay',
    '/var/lib/icinga-relay 750 icinga-relay:icinga-relay',
    '',
  ].join('\n'));
  await t.rejects(inRoot(['runuser', '-u', 'nobody', '--', 'cat', '/etc/icinga-relay/config.yml']), 'other users cannot read the config');

  // The README's next steps: the Icinga2 CA next to the config, the password from the environment.
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'ca.key'), '-out', join(root, 'etc/icinga-relay/icinga-ca.crt'), '-subj', '/CN=Icinga CA', '-days', '1']);
  const check = await inRoot(['runuser', '-u', 'icinga-relay', '--', 'icinga-relay', 'check-config', '/etc/icinga-relay/config.yml'], { ICINGA_RELAY_PASSWORD: 'secret' });
  t.equal(readFileSync(join(root, 'etc/icinga-relay/config.yml'), 'utf8').split('\n', 1)[0], '# yaml-language-server: $schema=/usr/share/icinga-relay/config.schema.json', 'the editor finds the installed schema');
  t.match(check.stdout, /^\/etc\/icinga-relay\/config\.yml: OK \(Icinga2 https:\/\/icinga\.example\.org:5665;/, 'the shipped config checks, as the relay user');
  const failed = await inRoot(['icinga-relay', 'check-config', '/etc/icinga-relay/config.yml']).catch((error: { code: number; stderr: string }) => error);
  t.match(failed, { code: 2, stderr: /ICINGA_RELAY_PASSWORD is not set/ }, 'and names what is missing');

  const verify = await inRoot(['systemd-analyze', 'verify', '/usr/lib/systemd/system/icinga-relay.service']);
  t.equal(verify.stdout + verify.stderr, '', 'systemd-analyze verify: no warnings');
  t.match(readFileSync(join(root, 'usr/lib/systemd/system/icinga-relay.service'), 'utf8'), /^ExecStart=\/usr\/bin\/node (--\S+ )+\/usr\/lib\/icinga-relay\/dist\/src\/cli\.js --config \/etc\/icinga-relay\/config\.yml$/m);
  t.equal((await inRoot(['sh', '-c', 'ls /etc/systemd/system/multi-user.target.wants/icinga-relay.service 2>/dev/null || echo not enabled'])).stdout, 'not enabled\n', 'the service waits for the admin to edit the config');

  // Reinstalling (an upgrade to the same version) keeps the admin's edits to the conffile.
  await inRoot(['sh', '-c', 'echo "# edited" >> /etc/icinga-relay/config.yml']);
  await inRoot(['dpkg', '-i', '/tmp/icinga-relay.deb']);
  t.match(readFileSync(join(root, 'etc/icinga-relay/config.yml'), 'utf8'), /# edited\n$/);

  await inRoot(['dpkg', '--purge', 'icinga-relay']);
  const gone = ['/usr/lib/icinga-relay', '/usr/bin/icinga-relay', '/var/lib/icinga-relay', '/etc/icinga-relay/config.yml'];
  t.equal((await inRoot(['sh', '-c', `for path in ${gone.join(' ')}; do [ -e "$path" ] && echo "$path"; done; ls /etc/icinga-relay`])).stdout,
    'icinga-ca.crt\n', "purge removes the package, its state and the conffile, and leaves the admin's own files");
});
