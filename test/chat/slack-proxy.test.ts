/**
 * Slack through a proxy: `chat.slack.proxy`, or HTTP(S)_PROXY with NO_PROXY, carries both the
 * Web API calls and the Socket Mode websocket through a real local CONNECT proxy that records
 * each tunnel, while the Slack fake behind it answers as Slack would.
 */
import t, { type Test } from 'tap';
import { SlackBackend } from '../../src/chat/slack/backend.js';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import { startConnectProxy } from '../harness/connect-proxy.js';
import { eventually } from '../harness/irc-client.js';
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN, SlackFake } from '../harness/slack-fake.js';
import { notice } from '../harness/irc-client.js';

const fake = await SlackFake.start({ channels: [{ id: 'C0OPS', name: 'ops' }] });
t.teardown(() => fake.close());
const fakeHost = new URL(fake.apiUrl).host;

async function deliverThrough(t: Test, proxyYaml: string[], env: NodeJS.ProcessEnv) {
  const { config } = parseConfig(
    [
      'icinga:',
      '  url: https://127.0.0.1:1',
      '  username: u',
      '  password: p',
      'chat:',
      '  slack:',
      `    bot_token: ${FAKE_BOT_TOKEN}`,
      `    app_token: ${FAKE_APP_TOKEN}`,
      "    channels: ['#ops']",
      `    api_url: ${fake.apiUrl}`,
      ...proxyYaml,
      '',
    ].join('\n'),
    { env: {} },
  );
  const before = { posted: fake.posted.length, connections: fake.connections };
  const backend = new SlackBackend(config.chat.slack!, { logger: memoryLogger(), env });
  t.teardown(() => backend.close());
  await backend.connect();
  await backend.send('slack:#ops', notice('through the proxy?'));
  t.equal(await backend.flush(10_000), 0, 'the message went out');
  await eventually(() => fake.connections > before.connections, 'the Socket Mode connection');
  t.equal(fake.posted.slice(before.posted).filter((post) => post.channel === 'C0OPS').length, 1, 'Slack has it');
}

t.test('chat.slack.proxy carries the Web API and the websocket', async (t) => {
  const proxy = await startConnectProxy();
  t.teardown(() => proxy.close());
  await deliverThrough(t, [`    proxy: ${proxy.url}`], {});
  t.ok(proxy.tunnels.length >= 2, `${proxy.tunnels.length} tunnels`);
  t.ok(proxy.tunnels.every((tunnel) => tunnel.target === fakeHost), 'every tunnel to Slack');
  const lines = proxy.tunnels.flatMap((tunnel) => tunnel.requests);
  for (const method of ['auth.test', 'conversations.list', 'apps.connections.open', 'chat.postMessage']) {
    t.ok(lines.some((line) => line.startsWith(`POST /api/${method} `)), `${method} went through it`);
  }
  t.ok(proxy.tunnels.some((tunnel) => tunnel.websocket), 'the Socket Mode websocket went through it');
});

t.test('HTTP_PROXY from the environment is honoured, and NO_PROXY exempts a host', async (t) => {
  const proxy = await startConnectProxy();
  t.teardown(() => proxy.close());
  // The fake speaks http://, so HTTP_PROXY applies to it; slack.com's https:// takes HTTPS_PROXY the same way.
  await deliverThrough(t, [], { HTTP_PROXY: proxy.url });
  t.ok(proxy.tunnels.some((tunnel) => tunnel.websocket), 'the websocket went through it');
  t.ok(proxy.tunnels.some((tunnel) => tunnel.requests.some((line) => line.startsWith('POST /api/chat.postMessage '))), 'the post went through it');
  const count = proxy.tunnels.length;
  await deliverThrough(t, [], { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
  t.equal(proxy.tunnels.length, count, 'nothing through the proxy for a NO_PROXY host');
});

t.test('the proxy key takes only an http(s)://host:port URL', async (t) => {
  t.throws(
    () => parseConfig(`icinga:\n  url: https://x:5665\n  username: u\n  password: p\nchat:\n  slack:\n    bot_token: a\n    app_token: b\n    channels: ['#ops']\n    proxy: proxy.corp:3128\n`, { env: {} }),
    /chat\.slack\.proxy: expected an http\(s\):\/\/host:port proxy URL/,
  );
});
