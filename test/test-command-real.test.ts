/**
 * `icinga-relay test` against the real InspIRCd (with Atheme) and the Slack fake: a line per
 * destination, delivered where the message really arrived, and the server's reason where it did
 * not (an invite-only channel, a refused SASL login, Slack's not_in_channel).
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli.js';
import { IrcTestClient, eventually } from './harness/irc-client.js';
import { startIrcd } from './harness/ircd.js';
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN, SlackFake } from './harness/slack-fake.js';

// Each refusal is known only once the server answers; a login that never comes takes the command's 20 s.
t.setTimeout(240_000);
const ircd = await startIrcd();
t.teardown(() => ircd.destroy());
await ircd.registerAccount('relay', 'relay-secret');
const slack = await SlackFake.start({
  channels: [
    { id: 'C0OPS', name: 'ops' },
    { id: 'C0LOCKED', name: 'locked', isMember: false },
  ],
});
t.teardown(() => slack.close());
const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-test-command-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// An operator's client holds #closed invite-only before the relay comes.
const owner = await IrcTestClient.connect({ port: ircd.port, nick: 'owner' });
t.teardown(() => owner.quit());
await owner.join('#closed');
owner.raw('MODE #closed +i');
await owner.waitForLine(/MODE #closed :?\+i/);
const watcher = await IrcTestClient.connect({ port: ircd.port, nick: 'watcher' });
t.teardown(() => watcher.quit());
await watcher.join('#ops');

let configs = 0;
async function runTest(ircPassword: string, ircChannels: string[], destinations: string[]) {
  const file = join(dir, `config-${++configs}.yml`);
  writeFileSync(
    file,
    [
      'icinga:',
      '  url: https://127.0.0.1:1',
      '  username: relay',
      '  password: unused',
      'chat:',
      '  irc:',
      '    server: 127.0.0.1',
      `    port: ${ircd.port}`,
      '    tls: false',
      '    nick: relay',
      '    sasl_account: relay',
      '    sasl_password: ${IRC_PASSWORD}',
      `    channels: [${ircChannels.map((channel) => `'${channel}'`).join(', ')}]`,
      '  slack:',
      `    bot_token: ${FAKE_BOT_TOKEN}`,
      `    app_token: ${FAKE_APP_TOKEN}`,
      "    channels: ['#ops', '#locked']",
      `    api_url: ${slack.apiUrl}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.resume();
  const code = await main(['test', '--config', file, ...destinations], { stdin: Readable.from([]), stdout, stderr, env: { IRC_PASSWORD: ircPassword } });
  return { code, lines: out.trim().split('\n') };
}

t.test("a line per destination: delivered, or the server's reason", async (t) => {
  const { code, lines } = await runTest('relay-secret', ['#ops', '#closed'], []);
  t.equal(code, 1, 'some were not delivered');
  t.equal(lines.length, 4);
  // The IRC backend sends only once it is in every configured channel: #ops waits for #closed.
  t.match(lines[0], /^irc:#ops: not delivered: the server refused to let us join .*channel=#closed numeric=473/);
  t.match(lines[1], /^irc:#closed: not delivered: the server refused to let us join .*channel=#closed numeric=473 reason="Cannot join channel \(invite only\)"/);
  t.equal(lines[2], 'slack:#ops: delivered');
  t.equal(lines[3], 'slack:#locked: not delivered: Slack refused a message, dropping it component=slack destination=slack:#locked eventType=Relay error=not_in_channel');
  t.equal(slack.posted.filter((post) => post.channel === 'C0OPS' && /icinga-relay test message from/.test(post.text ?? '')).length, 1, 'the test message in Slack #ops');
  t.notOk(slack.posted.some((post) => post.channel === 'C0LOCKED'), 'nothing reached #locked');
});

t.test('the named destinations only; a wrong SASL password is the reason, and never shown', async (t) => {
  const { code, lines } = await runTest('wrong-secret', ['#ops'], ['irc:#ops']);
  t.equal(code, 1);
  t.equal(lines.length, 1);
  t.match(lines[0], /^irc:#ops: not delivered: SASL login failed/);
  t.notMatch(lines[0], /wrong-secret/);
});

t.test('all delivered: exit 0, and the message is in the channel', async (t) => {
  const { code, lines } = await runTest('relay-secret', ['#ops'], ['irc:#ops', 'slack:#ops']);
  t.same({ code, lines }, { code: 0, lines: ['irc:#ops: delivered', 'slack:#ops: delivered'] });
  await eventually(() => watcher.messages.some((m) => m.target === '#ops' && /icinga-relay test message from/.test(m.text)), 'the test message in #ops');
});
