/** The chat.xmpp section of the config: defaults, every key, and every error with its key path. */
import { join } from 'node:path';
import t from 'tap';
import { TEST_CERT_PEM } from './helpers/pem.js';
import { ConfigError, parseConfig, type ConfigSource, type XmppConfig } from '../src/config/index.js';

const ICINGA = 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: secret\n';
const ENV = { XMPP_PASSWORD: 'from-the-environment' };

/** A config with `lines` as the chat.xmpp block. */
function xmppBlock(lines: string): string {
  return `${ICINGA}chat:\n  xmpp:\n${lines.replace(/^/gm, '    ')}\n`;
}

function parse(lines: string, source: Partial<ConfigSource> = {}) {
  return parseConfig(xmppBlock(lines), { env: ENV, ...source });
}

function problems(lines: string, source: Partial<ConfigSource> = {}): string[] {
  try {
    parse(lines, source);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = 'service: xmpp://xmpp.example.org\njid: relay@example.org\npassword: ${XMPP_PASSWORD}\nrooms: [ops@conference.example.org]';

t.test('a minimal block gets every default', async (t) => {
  const { config, secrets } = parse(MINIMAL);
  const expected: XmppConfig = {
    service: 'xmpp://xmpp.example.org',
    jid: 'relay@example.org',
    password: 'from-the-environment',
    allowPlaintext: false,
    nick: 'icinga-relay',
    rooms: [{ jid: 'ops@conference.example.org' }],
    membersOnly: false,
    members: [],
    rate: { burst: 5, perSecond: 1 },
    queueSize: 1000,
    reconnect: { minMs: 1_000, maxMs: 60_000 },
  };
  t.same(config.chat, { xmpp: expected }, 'xmpp only: no console');
  t.ok(secrets.includes('from-the-environment'), 'the password is a secret to mask');
});

t.test('the members of a members-only room are the XMPP identities of access.users', async (t) => {
  const { config } = parseConfig(
    xmppBlock(MINIMAL + '\nmembers_only: true') +
      'access:\n  users:\n    "xmpp:alice@example.org": [operator]\n    "irc:bob": [operator]\n    "xmpp:carol@example.org": [viewer]\n    console: [operator]\n',
    { env: ENV },
  );
  t.same(config.chat.xmpp?.members, ['alice@example.org', 'carol@example.org']);
});

t.test('every key can be set', async (t) => {
  const dir = t.testdir({ 'ca.pem': TEST_CERT_PEM, 'password.txt': 'from-a-file\n' });
  const { config, secrets } = parse(
    [
      'service: xmpps://xmpp.example.org:5223/',
      'jid: relay@example.org',
      'password_file: password.txt',
      'ca_file: ca.pem',
      'allow_plaintext: true',
      'nick: alerts',
      'rooms:',
      '  - ops@conference.example.org',
      '  - { jid: db@conference.example.org, password: room-secret }',
      'members_only: true',
      'rate: { burst: 2, per_second: 0.5 }',
      'queue_size: 50',
      'reconnect: { min: 5s, max: 10m }',
    ].join('\n'),
    { path: join(dir, 'relay.yml') },
  );
  t.same(config.chat.xmpp, {
    service: 'xmpps://xmpp.example.org:5223',
    jid: 'relay@example.org',
    password: 'from-a-file',
    ca: TEST_CERT_PEM,
    allowPlaintext: true,
    nick: 'alerts',
    rooms: [{ jid: 'ops@conference.example.org' }, { jid: 'db@conference.example.org', password: 'room-secret' }],
    membersOnly: true,
    members: [],
    rate: { burst: 2, perSecond: 0.5 },
    queueSize: 50,
    reconnect: { minMs: 5_000, maxMs: 600_000 },
  });
  t.same(secrets.sort(), ['from-a-file', 'room-secret', 'secret'], 'file and room passwords are secrets too');
});

t.test('a password is required, from the file or the environment, but not both', async (t) => {
  const withoutPassword = 'service: xmpp://xmpp.example.org\njid: relay@example.org\nrooms: [ops@conference.example.org]';
  t.same(problems(withoutPassword), ['chat.xmpp: missing required key "password" (or password_file)']);
  t.same(problems(`${MINIMAL}\npassword_file: /nonexistent/password`), [
    'chat.xmpp.password_file: cannot read /nonexistent/password (ENOENT: no such file or directory)',
  ]);
  const dir = t.testdir({ 'password.txt': 'x\n', 'empty.txt': '\n' });
  t.same(problems(`${MINIMAL}\npassword_file: password.txt`, { path: join(dir, 'relay.yml') }), [
    'chat.xmpp: expected either password or password_file but found both',
  ]);
  t.same(problems(`${withoutPassword}\npassword_file: empty.txt`, { path: join(dir, 'relay.yml') }), [
    `chat.xmpp.password_file: expected a password in ${join(dir, 'empty.txt')} but found an empty file`,
  ]);
  t.same(problems(`${withoutPassword}\npassword: 1234`), ['chat.xmpp.password: expected a password (a string: quote it) but found a number']);
  t.same(problems(`${withoutPassword}\npassword: \${UNSET}`), ['chat.xmpp.password: environment variable UNSET is not set']);
});

t.test('JIDs and rooms', async (t) => {
  const block = (jid: string, rooms: string) => `service: xmpp://xmpp.example.org\njid: ${jid}\npassword: x\nrooms: ${rooms}`;
  t.same(problems(block('relay@example.org/laptop', '[ops@conference.example.org]')), [
    'chat.xmpp.jid: expected a JID (name@domain, no resource) but found "relay@example.org/laptop"',
  ]);
  t.same(problems(block('example.org', '[ops@conference.example.org]')), ['chat.xmpp.jid: expected a JID (name@domain, no resource) but found "example.org"']);
  t.same(problems(block('relay@example.org', '[]')), ['chat.xmpp.rooms: expected at least one of rooms but found an empty list']);
  t.same(problems(block('relay@example.org', 'ops@conference.example.org')), [
    'chat.xmpp.rooms: expected a list of rooms but found "ops@conference.example.org"',
  ]);
  t.same(problems(block('relay@example.org', '[ops@conference.example.org/icinga-relay]')), [
    'chat.xmpp.rooms[0]: expected a room JID (name@domain, no resource) but found "ops@conference.example.org/icinga-relay"',
  ]);
  t.same(problems(block('relay@example.org', '[{ jid: ops@conference.example.org, key: x }]')), ['chat.xmpp.rooms[0].key: unknown key (allowed: jid, password)']);
  t.same(problems(block('relay@example.org', '[{ password: x }]')), ['chat.xmpp.rooms[0]: expected a room JID or a mapping with jid and password but found a mapping']);
  t.same(problems(block('relay@example.org', '[42]')), ['chat.xmpp.rooms[0]: expected a room JID or a mapping with jid and password but found 42']);
});

t.test('the service URL', async (t) => {
  const block = (service: string) => `service: ${service}\njid: relay@example.org\npassword: x\nrooms: [ops@conference.example.org]`;
  for (const [service, expected] of [
    ['xmpp://xmpp.example.org', 'xmpp://xmpp.example.org'],
    ['xmpp://127.0.0.1:5222/', 'xmpp://127.0.0.1:5222'],
    ['xmpps://xmpp.example.org:5223', 'xmpps://xmpp.example.org:5223'],
  ]) {
    t.equal(parse(block(service)).config.chat.xmpp?.service, expected, service);
  }
  for (const service of ['https://xmpp.example.org', 'xmpp.example.org', 'xmpp://xmpp.example.org/ws', 'xmpp://xmpp.example.org:port']) {
    t.same(problems(block(service)), [`chat.xmpp.service: expected an xmpp://host:port or xmpps://host:port URL but found ${JSON.stringify(service)}`], service);
  }
  t.same(problems('jid: relay@example.org\npassword: x\nrooms: [ops@conference.example.org]'), ['chat.xmpp: missing required key "service"']);
});

t.test('plain text is off unless asked for, and other keys are checked', async (t) => {
  t.equal(parse(MINIMAL).config.chat.xmpp?.allowPlaintext, false);
  t.same(problems(`${MINIMAL}\nallow_plaintext: yes please`), ['chat.xmpp.allow_plaintext: expected true or false but found "yes please"']);
  t.same(problems(`${MINIMAL}\nnick: ""`), ['chat.xmpp.nick: expected a room nick but found ""']);
  t.same(problems(`${MINIMAL}\nqueue_size: 0\nrate: { burst: 0 }`), [
    'chat.xmpp.rate.burst: expected a whole number of messages, at least 1 but found 0',
    'chat.xmpp.queue_size: expected a whole number of messages from 1 to 1000000 but found 0',
  ]);
  t.same(problems(`${MINIMAL}\nreconnect: { min: 2m, max: 1m }`), ['chat.xmpp.reconnect: expected min no longer than max but found min 2m, max 1m']);
});

t.test('unknown keys are errors', async (t) => {
  t.same(problems(`${MINIMAL}\ntls: true\nresource: laptop`), [
    'chat.xmpp.tls: unknown key (allowed: service, jid, password, password_file, ca_file, allow_plaintext, nick, rooms, members_only, rate, queue_size, reconnect)',
    'chat.xmpp.resource: unknown key (allowed: service, jid, password, password_file, ca_file, allow_plaintext, nick, rooms, members_only, rate, queue_size, reconnect)',
  ]);
  // The missing password shows once the other keys are right (see the password test).
  t.same(
    problems(''),
    ['chat.xmpp: missing required key "service"', 'chat.xmpp: missing required key "jid"', 'chat.xmpp: missing required key "rooms"'],
    'an empty block names the keys it lacks',
  );
});
