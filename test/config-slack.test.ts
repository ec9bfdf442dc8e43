/** The `chat.slack` block of the config file: tokens, channels, api_url, defaults, unknown keys. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig, parseConfig, type SlackConfig } from '../src/config/index.js';

const ENV = { SLACK_BOT_TOKEN: 'xoxb-from-env', SLACK_APP_TOKEN: 'xapp-from-env', ICINGA_PASSWORD: 'icinga-password' };
const ICINGA = 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: ${ICINGA_PASSWORD}\n';
const TOKENS = ['bot_token: ${SLACK_BOT_TOKEN}', 'app_token: ${SLACK_APP_TOKEN}'];

/** Config text with these lines in the slack block. */
const withSlack = (...lines: string[]) => `${ICINGA}chat:\n  slack:\n${lines.map((line) => `    ${line}\n`).join('')}`;

function slack(text: string, path?: string): SlackConfig | undefined {
  return parseConfig(text, { env: ENV, path }).config.chat.slack;
}

function problems(text: string): string[] {
  try {
    parseConfig(text, { env: ENV });
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('a minimal block gets the defaults: the public API, 3 retries, one message a second per channel', async (t) => {
  const text = withSlack(...TOKENS, "channels: ['#ops']");
  t.same(slack(text), {
    botToken: 'xoxb-from-env',
    appToken: 'xapp-from-env',
    channels: ['#ops'],
    apiUrl: 'https://slack.com/api/',
    retries: 3,
    threads: true,
    broadcastRecoveries: true,
    editRoot: true,
    rate: { burst: 1, perSecond: 1 },
    queueSize: 1000,
    reconnect: { minMs: 1000, maxMs: 60_000 },
  });
  t.same(parseConfig(text, { env: ENV }).secrets, ['icinga-password', 'xoxb-from-env', 'xapp-from-env'], 'both tokens are secrets to mask');
});

t.test('every key can be set; tokens can come from files, without their newline', async (t) => {
  const dir = t.testdir({ 'bot-token': 'xoxb-from-file\n', 'app-token': 'xapp-from-file\r\n' });
  const config = slack(
    withSlack(
      'bot_token_file: bot-token',
      'app_token_file: app-token',
      "channels: ['#ops', '#team.db-alerts_2', C0123ABC, G0PRIVATE, D0DIRECT]",
      'api_url: http://127.0.0.1:8080/api/',
      'retries: 0',
      'threads: false',
      'broadcast_recoveries: false',
      'edit_root: false',
      'rate: { burst: 2, per_second: 0.5 }',
      'queue_size: 50',
      'reconnect: { min: 2s, max: 5m }',
    ),
    join(dir, 'relay.yml'),
  );
  t.same(config, {
    botToken: 'xoxb-from-file',
    appToken: 'xapp-from-file',
    channels: ['#ops', '#team.db-alerts_2', 'C0123ABC', 'G0PRIVATE', 'D0DIRECT'],
    apiUrl: 'http://127.0.0.1:8080/api/',
    retries: 0,
    threads: false,
    broadcastRecoveries: false,
    editRoot: false,
    rate: { burst: 2, perSecond: 0.5 },
    queueSize: 50,
    reconnect: { minMs: 2000, maxMs: 300_000 },
  });
});

t.test('each token is required, given once: inline or as a file', async (t) => {
  t.same(problems(withSlack("channels: ['#ops']")), [
    'chat.slack: missing required key "bot_token" (or bot_token_file)',
    'chat.slack: missing required key "app_token" (or app_token_file)',
  ]);
  const dir = t.testdir({ 'bot-token': 'xoxb-from-file\n', empty: '\n' });
  t.same(problems(withSlack(...TOKENS, `bot_token_file: ${join(dir, 'bot-token')}`, "channels: ['#ops']")), [
    'chat.slack: expected either bot_token or bot_token_file but found both',
  ]);
  t.same(problems(withSlack('bot_token: ${SLACK_BOT_TOKEN}', `app_token_file: ${join(dir, 'empty')}`, "channels: ['#ops']")), [
    `chat.slack.app_token_file: expected an app_token in ${join(dir, 'empty')} but found an empty file`,
  ]);
  t.same(problems(withSlack('bot_token: ${SLACK_BOT_TOKEN}', `app_token_file: ${join(dir, 'missing')}`, "channels: ['#ops']")), [
    `chat.slack.app_token_file: cannot read ${join(dir, 'missing')} (ENOENT: no such file or directory)`,
  ]);
  t.same(problems(withSlack('bot_token: 1234', "app_token: ''", 'bot_token_file: 5', "channels: ['#ops']")), [
    'chat.slack.bot_token: expected a bot_token (a string: quote it) but found a number',
    'chat.slack.bot_token_file: expected the path of a file holding the bot_token but found 5',
    'chat.slack.app_token: expected an app_token but found an empty string',
  ]);
  t.same(problems(withSlack('bot_token: ${SLACK_BOT_TOKEN}', 'app_token: ${NOT_SET}', "channels: ['#ops']")), [
    'chat.slack.app_token: environment variable NOT_SET is not set',
  ]);
});

t.test('a token written into a file others can read is warned about', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'relay.yml');
  writeFileSync(path, withSlack('bot_token: xoxb-inline', 'app_token: ${SLACK_APP_TOKEN}', "channels: ['#ops']"));
  chmodSync(path, 0o644);
  t.same(loadConfig(path, ENV).warnings, [
    `config file ${path} is readable by others (mode 0644) and holds a bot_token: make it owner root, group icinga-relay, mode 0640, or use bot_token_file / \${ENV}`,
  ]);
});

t.test('channels are #names in lower case or channel IDs, at least one', async (t) => {
  const expected = 'expected a channel such as #ops (lower case) or an ID such as C0123ABC but found';
  t.same(problems(withSlack(...TOKENS, "channels: ['ops', '#Ops', 'c0123abc', '#on call', 'U0123ABC', '#']")), [
    `chat.slack.channels[0]: ${expected} "ops"`,
    `chat.slack.channels[1]: ${expected} "#Ops"`,
    `chat.slack.channels[2]: ${expected} "c0123abc"`,
    `chat.slack.channels[3]: ${expected} "#on call"`,
    `chat.slack.channels[4]: ${expected} "U0123ABC"`,
    `chat.slack.channels[5]: ${expected} "#"`,
  ]);
  t.same(problems(withSlack(...TOKENS, 'channels: []')), ['chat.slack.channels: expected at least one of channels but found an empty list']);
  t.same(problems(withSlack(...TOKENS, "channels: '#ops'")), ['chat.slack.channels: expected a list of channels but found "#ops"']);
  t.same(problems(withSlack(...TOKENS)), ['chat.slack: missing required key "channels"']);
});

t.test('api_url is an http(s) URL ending in /api/', async (t) => {
  for (const url of ['https://slack.com/api', 'ftp://slack.com/api/', 'slack.com/api/', 'https://slack.com/ api/']) {
    t.same(problems(withSlack(...TOKENS, "channels: ['#ops']", `api_url: '${url}'`)), [
      `chat.slack.api_url: expected an http(s):// URL ending in /api/ but found ${JSON.stringify(url)}`,
    ]);
  }
  t.equal(slack(withSlack(...TOKENS, "channels: ['#ops']", 'api_url: https://slack-gov.com/api/'))?.apiUrl, 'https://slack-gov.com/api/');
});

t.test('retries, rate, queue_size and reconnect are checked', async (t) => {
  t.same(
    problems(
      withSlack(...TOKENS, "channels: ['#ops']", 'retries: 11', 'rate: { burst: 0, per_second: 0 }', 'queue_size: 0', 'reconnect: { min: 2m, max: 1m }'),
    ),
    [
      'chat.slack.retries: expected a whole number from 0 to 10 but found 11',
      'chat.slack.rate.burst: expected a whole number of messages, at least 1 but found 0',
      'chat.slack.rate.per_second: expected a number of messages per second above 0 but found 0',
      'chat.slack.queue_size: expected a whole number of messages from 1 to 1000000 but found 0',
      'chat.slack.reconnect: expected min no longer than max but found min 2m, max 1m',
    ],
  );
  t.same(problems(withSlack(...TOKENS, "channels: ['#ops']", 'retries: -1')), ['chat.slack.retries: expected a whole number from 0 to 10 but found -1']);
  t.same(problems(withSlack(...TOKENS, "channels: ['#ops']", 'retries: 1.5')), ['chat.slack.retries: expected a whole number from 0 to 10 but found 1.5']);
});

t.test('unknown keys are errors that list the allowed ones', async (t) => {
  t.same(problems(withSlack(...TOKENS, "channels: ['#ops']", 'token: xoxb-1', 'channel: C0123ABC')), [
    'chat.slack.token: unknown key (allowed: bot_token, bot_token_file, app_token, app_token_file, channels, api_url, retries, threads, broadcast_recoveries, edit_root, proxy, rate, queue_size, reconnect)',
    'chat.slack.channel: unknown key, did you mean channels? (allowed: bot_token, bot_token_file, app_token, app_token_file, channels, api_url, retries, threads, broadcast_recoveries, edit_root, proxy, rate, queue_size, reconnect)',
  ]);
  t.same(problems(withSlack(...TOKENS, "channels: ['#ops']", 'rate: { per_minute: 60 }')), [
    'chat.slack.rate.per_minute: unknown key (allowed: burst, per_second)',
  ]);
});
