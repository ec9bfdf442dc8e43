import { join } from 'node:path';
import t from 'tap';
import { TEST_CERT_PEM } from './helpers/pem.js';
import { ConfigError, parseConfig, type IrcConfig } from '../src/config/index.js';

const ENV = { ICINGA_RELAY_PASSWORD: 'icinga-secret', IRC_PASSWORD: 'irc-secret' };
const ICINGA = 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: ${ICINGA_RELAY_PASSWORD}\n';

/** A config whose chat section is only this irc block (its lines indented under `irc:`). */
function withIrc(block: string): string {
  const indented = block
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${ICINGA}chat:\n  irc:\n${indented}\n`;
}

function parseIrc(block: string, path?: string): { irc: IrcConfig | undefined; secrets: string[] } {
  const { config, secrets } = parseConfig(withIrc(block), { env: ENV, path });
  return { irc: config.chat.irc, secrets };
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

const ircProblems = (block: string) => problems(withIrc(block));

t.test('a minimal irc block gets every default', async (t) => {
  t.same(parseIrc('server: irc.example.org\nchannels: ["#ops"]').irc, {
    host: 'irc.example.org',
    port: 6697,
    tls: true,
    nick: 'icinga-relay',
    username: 'icinga-relay',
    realname: 'icinga-relay',
    channels: [{ name: '#ops' }],
    colours: true,
    rate: { burst: 4, perSecond: 0.5 },
    queueSize: 1000,
    reconnect: { minMs: 1_000, maxMs: 60_000 },
  });
});

t.test('the port follows tls; the user name follows the nick', async (t) => {
  const { irc } = parseIrc('server: irc.example.org\ntls: false\nnick: alertbot\nchannels: ["#ops"]');
  t.equal(irc?.port, 6667, 'plain text: 6667');
  t.equal(irc?.username, 'alertbot');
  t.equal(parseIrc('server: irc.example.org\nport: 7000\nchannels: ["#ops"]').irc?.port, 7000, 'an explicit port wins');
});

t.test('every key can be set', async (t) => {
  const dir = t.testdir({ 'ca.crt': TEST_CERT_PEM, 'nickserv-password': 'from-a-file\n' });
  const { irc, secrets } = parseIrc(
    `server: irc.example.org
port: 6697
tls: true
ca_file: ca.crt
nick: alertbot
username: alerts
realname: Icinga alerts
sasl_account: alertbot
sasl_password: \${IRC_PASSWORD}
nickserv_password_file: nickserv-password
channels:
  - '#ops'
  - { name: '&local' }
  - { name: '#secret', key: channel-key }
colours: false
rate: { burst: 10, per_second: 1 }
queue_size: 50
reconnect: { min: 5s, max: 2m }`,
    join(dir, 'relay.yml'),
  );
  t.same(irc, {
    host: 'irc.example.org',
    port: 6697,
    tls: true,
    ca: TEST_CERT_PEM,
    nick: 'alertbot',
    username: 'alerts',
    realname: 'Icinga alerts',
    sasl: { account: 'alertbot', password: 'irc-secret' },
    nickservPassword: 'from-a-file',
    channels: [{ name: '#ops' }, { name: '&local' }, { name: '#secret', key: 'channel-key' }],
    colours: false,
    rate: { burst: 10, perSecond: 1 },
    queueSize: 50,
    reconnect: { minMs: 5_000, maxMs: 120_000 },
  });
  t.same(secrets.sort(), ['channel-key', 'from-a-file', 'icinga-secret', 'irc-secret'], 'passwords and channel keys are masked in logs');
});

t.test('the SASL password from a file, the NickServ password inline', async (t) => {
  const dir = t.testdir({ 'sasl-password': 'sasl-from-file\n' });
  const { irc } = parseIrc(
    'server: irc.example.org\nsasl_account: bot\nsasl_password_file: sasl-password\nnickserv_password: inline\nchannels: ["#ops"]',
    join(dir, 'relay.yml'),
  );
  t.same(irc?.sasl, { account: 'bot', password: 'sasl-from-file' });
  t.equal(irc?.nickservPassword, 'inline');
});

t.test('sasl_account and a SASL password come together', async (t) => {
  t.same(ircProblems('server: irc.example.org\nsasl_account: bot\nchannels: ["#ops"]'), ['chat.irc: missing required key "sasl_password" (or sasl_password_file)']);
  t.same(ircProblems('server: irc.example.org\nsasl_password: x\nchannels: ["#ops"]'), ['chat.irc: missing required key "sasl_account" (sasl_password needs it)']);
  const dir = t.testdir({ pw: 'secret\n' });
  t.same(ircProblems(`server: irc.example.org\nsasl_account: bot\nsasl_password_file: ${join(dir, 'missing')}\nchannels: ["#ops"]`), [
    `chat.irc.sasl_password_file: cannot read ${join(dir, 'missing')} (ENOENT: no such file or directory)`,
  ]);
  t.same(ircProblems(`server: irc.example.org\nsasl_account: bot\nsasl_password: x\nsasl_password_file: ${join(dir, 'pw')}\nchannels: ["#ops"]`), [
    'chat.irc: expected either sasl_password or sasl_password_file but found both',
  ]);
  t.same(ircProblems(`server: irc.example.org\nnickserv_password: x\nnickserv_password_file: ${join(dir, 'pw')}\nchannels: ["#ops"]`), [
    'chat.irc: expected either nickserv_password or nickserv_password_file but found both',
  ]);
});

t.test('channel names start with # or & and have no spaces, commas or BEL', async (t) => {
  const expected = 'expected an IRC channel such as #ops (starting with # or &, no spaces or commas)';
  t.same(ircProblems('server: irc.example.org\nchannels: ["ops", "#a b", "#a,b", "#a\\u0007b", "#ok"]'), [
    `chat.irc.channels[0]: ${expected} but found "ops"`,
    `chat.irc.channels[1]: ${expected} but found "#a b"`,
    `chat.irc.channels[2]: ${expected} but found "#a,b"`,
    `chat.irc.channels[3]: ${expected} but found "#a\\u0007b"`,
  ]);
  t.same(ircProblems('server: irc.example.org\nchannels: [{ name: ops, key: k }]'), [`chat.irc.channels[0].name: ${expected} but found "ops"`]);
  t.same(ircProblems('server: irc.example.org\nchannels: [{ name: "#ops", password: k }]'), [
    'chat.irc.channels[0].password: unknown key (allowed: name, key)',
  ]);
  t.same(ircProblems('server: irc.example.org\nchannels: [42]'), ['chat.irc.channels[0]: expected a channel name or a mapping with name and key but found 42']);
  t.same(ircProblems('server: irc.example.org\nchannels: []'), ['chat.irc.channels: expected at least one of channels but found an empty list']);
  t.same(ircProblems('server: irc.example.org\nchannels: "#ops"'), ['chat.irc.channels: expected a list of channels but found "#ops"']);
});

t.test('required keys, wrong types and unknown keys', async (t) => {
  t.same(problems(`${ICINGA}chat:\n  irc:\n`), ['chat.irc: missing required key "server"', 'chat.irc: missing required key "channels"']);
  t.same(ircProblems('server: irc.example.org\nport: 70000\ntls: "yes"\ncolours: 1\nchannels: ["#ops"]'), [
    'chat.irc.port: expected a port from 1 to 65535 but found 70000',
    'chat.irc.tls: expected true or false but found "yes"',
    'chat.irc.colours: expected true or false but found 1',
  ]);
  t.same(ircProblems('server: irc.example.org\nrate: { burst: 0, per_second: 0 }\nqueue_size: 0\nreconnect: { min: 1m, max: 1s }\nchannels: ["#ops"]'), [
    'chat.irc.rate.burst: expected a whole number of messages, at least 1 but found 0',
    'chat.irc.rate.per_second: expected a number of messages per second above 0 but found 0',
    'chat.irc.queue_size: expected a whole number of messages from 1 to 1000000 but found 0',
    'chat.irc.reconnect: expected min no longer than max but found min 1m, max 1s',
  ]);
  t.match(ircProblems('server: irc.example.org\nchannel: "#ops"\npassword: x\nchannels: ["#ops"]'), [
    /^chat\.irc\.channel: unknown key, did you mean channels\? \(allowed: server, port, tls, ca_file, nick, username, realname, sasl_account, sasl_password, sasl_password_file, nickserv_password, nickserv_password_file, channels, colours, rate, queue_size, reconnect\)$/,
    /^chat\.irc\.password: unknown key/,
  ]);
});
