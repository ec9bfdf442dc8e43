/**
 * The README's "From nothing to an alert in chat and an ack from chat", step by step, with the
 * README's own config: a real Icinga2, a real InspIRCd with Atheme services (the network `Try it
 * with a local IRC server` starts), and the built relay (`dist/src/cli.js`).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startIcinga2 } from './harness/icinga2.js';
import { IrcTestClient } from './harness/irc-client.js';
import { startIrcd } from './harness/ircd.js';
import { relayProcesses } from './helpers/process.js';
import { acknowledgementOf, EVENT_WAIT_MS, linesAfter, waitUntil } from './commands/helpers.js';

/** The YAML block after the walkthrough marker, as the reader sees it (the list item's indentation taken off). */
function readmeConfig(): string {
  const readme = readFileSync('README.md', 'utf8');
  const block = /<!-- walkthrough: config -->\n( *)```yaml\n([\s\S]*?)\n *```/.exec(readme);
  if (!block) throw new Error('README.md has no walkthrough config block');
  const indent = block[1];
  return block[2]
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

/** mIRC colour and bold codes: the README's config keeps the default colours. */
const plain = (text: string) => text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x16\x1d\x1f]/g, '');

t.test("the README's steps, from its config to a relayed alert and an ack from the channel", async (t) => {
  // Steps 2 and 4: an Icinga2 with the README's API user, and an IRC network with alice's account.
  const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
  t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
  await ircd.registerAccount('alice', 'alice-secret');

  // Step 3: the CA and the password file next to the config.
  const dir = t.testdir();
  const caFile = join(dir, 'icinga-ca.crt');
  copyFileSync(icinga.caFile, caFile);
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${icinga.users.relay.password}\n`, { mode: 0o640 });

  // Step 5: the README's config, with its host names and paths replaced as the step says.
  const yaml = readmeConfig()
    .replace('https://icinga.example.org:5665', icinga.url)
    .replace('/etc/icinga-relay/icinga-ca.crt', caFile)
    .replace('/etc/icinga-relay/password', passwordFile)
    .replace('username: icinga-relay', `username: ${icinga.users.relay.username}`)
    .replace('server: irc.example.org', 'server: 127.0.0.1')
    .replace('port: 6667', `port: ${ircd.port}`);
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, yaml, { mode: 0o640 });

  // Step 6.
  const { stdout } = await promisify(execFile)(process.execPath, ['dist/src/cli.js', 'check-config', configFile]);
  t.match(stdout, `${configFile}: OK (Icinga2 ${icinga.url}; events StateChange, `);

  // Step 7.
  const relay = relayProcesses(t, configFile)();
  await relay.waitFor('stderr', /event stream connected/, EVENT_WAIT_MS);
  await relay.waitFor('stderr', /joined .*channel=#ops/, EVENT_WAIT_MS);

  const alice = await IrcTestClient.connect({ port: ircd.port, nick: 'alice', account: { name: 'alice', password: 'alice-secret' } });
  t.teardown(() => alice.quit());
  await alice.join('#ops');
  const fromRelay = () => alice.messages.filter((message) => message.nick === 'icinga-relay' && message.target === '#ops').map((message) => plain(message.text));

  // Step 8.
  const [alert] = await linesAfter(fromRelay, () => icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - connection refused'), [/web01!http/], EVENT_WAIT_MS);
  t.match(alert, /^#1 CRITICAL web01!http: HTTP CRITICAL - connection refused/);

  // Step 9.
  const from = fromRelay().length;
  const [reply] = await linesAfter(fromRelay, () => alice.say('#ops', '!ack web01!http for 1h looking into it'), [/^acknowledged /], EVENT_WAIT_MS);
  t.equal(reply, 'acknowledged web01!http for 1 hour');
  await waitUntil(async () => ((await acknowledgementOf(icinga, 'web01!http')).acknowledgement > 0 ? true : undefined), EVENT_WAIT_MS, 'the acknowledgement in Icinga2');
  t.match(await acknowledgementOf(icinga, 'web01!http'), { comments: [{ author: 'alice (via irc)', text: 'looking into it' }] }, 'Icinga2 records the acknowledgement and its author');
  // Two of Icinga2's delivery ticks: the events the ack caused are folded into the answer.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  t.same(fromRelay().slice(from), ['acknowledged web01!http for 1 hour'], 'one action, one line');

  relay.child.kill('SIGTERM');
  t.equal(await relay.exited, 0);
});
