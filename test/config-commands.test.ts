/** The commands and access sections of the config: defaults, every key, and every error with its key path. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, DEFAULT_COMMANDS, parseConfig, type ConfigSource } from '../src/config/index.js';

const ICINGA = 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: secret\n';

function parse(extra: string, source: Partial<ConfigSource> = {}) {
  return parseConfig(ICINGA + extra, { env: {}, ...source }).config;
}

function problems(extra: string, source: Partial<ConfigSource> = {}): string[] {
  try {
    parse(extra, source);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** Configures the destinations the access.rooms examples name: a room rule needs a room. */
const CHAT = 'chat:\n  irc: { server: irc.example.org, channels: ["#public", "#ops"] }\n  slack: { bot_token: xoxb-1, app_token: xapp-1, channels: [C0123ABC] }\n';

const VIEWER = ['status', 'problems', 'mutes'];
const OPERATOR = ['ack', 'unack', 'comment', 'downtime', 'undowntime', 'recheck', 'status', 'problems', 'mute', 'unmute', 'mutes', 'events'];

t.test('without the sections, the relay applies the defaults itself', async (t) => {
  const config = parse('');
  t.equal(config.commands, undefined);
  t.equal(config.access, undefined);
  t.same(DEFAULT_COMMANDS, { prefix: '!', maxLines: 10, ack: { sticky: true, notify: true, persistent: false }, rate: { burst: 5, perSecond: 0.2 } });
});

t.test('present but empty sections get every default', async (t) => {
  const config = parse('commands:\naccess:\n');
  t.same(config.commands, DEFAULT_COMMANDS);
  t.same(config.access, { roles: { viewer: VIEWER, operator: OPERATOR }, users: { console: ['operator'] }, everyone: [], rooms: {}, authors: {} });
});

t.test('every key can be set', async (t) => {
  const dir = t.testdir({ audit: {} });
  const config = parse(
    `${CHAT}commands:
  prefix: "?"
  max_lines: 3
  ack: { sticky: false, notify: false, persistent: true }
  audit_file: audit/commands.jsonl
  rate: { burst: 2, per_second: 0.5 }
access:
  roles:
    operator: [ack, status]
    night-shift: [recheck, problems]
  users:
    "irc:alice": [operator]
    "xmpp:bob@example.org": [operator, night-shift]
    "slack:U0123ABC": [viewer]
    console: [operator]
  everyone: [viewer]
  rooms:
    "irc:#public": [viewer]
    "slack:C0123ABC": []
  authors:
    "irc:alice": Alice Example
`,
    { path: join(dir, 'relay.yml') },
  );
  t.same(config.commands, {
    prefix: '?',
    maxLines: 3,
    ack: { sticky: false, notify: false, persistent: true },
    auditFile: join(dir, 'audit', 'commands.jsonl'),
    rate: { burst: 2, perSecond: 0.5 },
  });
  t.same(config.access, {
    roles: { viewer: VIEWER, operator: ['ack', 'status'], 'night-shift': ['recheck', 'problems'] },
    users: { 'irc:alice': ['operator'], 'xmpp:bob@example.org': ['operator', 'night-shift'], 'slack:U0123ABC': ['viewer'], console: ['operator'] },
    everyone: ['viewer'],
    rooms: { 'irc:#public': ['viewer'], 'slack:C0123ABC': [] },
    authors: { 'irc:alice': 'Alice Example' },
  });
});

t.test('users replaces the default, so the console has only what is written', async (t) => {
  t.same(parse('access:\n  users: { "irc:alice": [operator] }\n').access?.users, { 'irc:alice': ['operator'] });
});

t.test('wrong types and values name their key path', async (t) => {
  t.same(
    problems(`commands:
  prefix: "! "
  max_lines: 0
  ack: { sticky: yes please }
  rate: { burst: 0, per_second: -1 }
  colour: true
`),
    [
      'commands.prefix: expected a command prefix of 1 to 8 characters without spaces or quotes, such as ! but found "! "',
      'commands.max_lines: expected a whole number of lines from 1 to 100 but found 0',
      'commands.ack.sticky: expected true or false but found "yes please"',
      'commands.rate.burst: expected a whole number of commands, at least 1 but found 0',
      'commands.rate.per_second: expected a number of commands per second above 0 but found -1',
      'commands.colour: unknown key (allowed: prefix, max_lines, ack, audit_file, rate)',
    ],
  );
  t.same(problems('commands: [a]\naccess: 3\n'), ['commands: expected a mapping but found ["a"]', 'access: expected a mapping but found 3']);
});

t.test('the audit file needs an existing directory; relative paths are relative to the config file', async (t) => {
  const dir = t.testdir({ 'a-file': 'x' });
  mkdirSync(join(dir, 'state'));
  t.equal(parse('commands: { audit_file: state/audit.jsonl }\n', { path: join(dir, 'relay.yml') }).commands?.auditFile, join(dir, 'state', 'audit.jsonl'));
  t.same(problems('commands: { audit_file: missing/audit.jsonl }\n', { path: join(dir, 'relay.yml') }), [
    `commands.audit_file: cannot write ${join(dir, 'missing', 'audit.jsonl')} (ENOENT: no such file or directory)`,
  ]);
  t.same(problems('commands: { audit_file: a-file/audit.jsonl }\n', { path: join(dir, 'relay.yml') }), [
    `commands.audit_file: cannot write ${join(dir, 'a-file', 'audit.jsonl')} (${join(dir, 'a-file')} is not a directory)`,
  ]);
  t.same(problems('commands: { audit_file: "" }\n'), ['commands.audit_file: expected the path of the audit file but found ""']);
});

t.test('unknown commands in roles, malformed names, and undefined roles', async (t) => {
  t.same(
    problems(`${CHAT}access:
  roles:
    operator: [ack, acknowledge]
    "2nd": [status]
    helpers: status
  users:
    alice: [operator]
    "irc:alice": [oprator]
    "xmpp:bob": [viewer]
    "slack:bob": [viewer]
    "irc:#ops": [viewer]
    "console:root": [viewer]
    "slack:U0123": viewer
  rooms:
    "#ops": [viewer]
    "irc:#ops": [admins]
  authors:
    bob: Bob
    "irc:bob": ""
`),
    [
      'access.roles.operator[1]: expected one of ack, unack, comment, downtime, undowntime, recheck, status, problems, mute, unmute, mutes, events, help, whoami but found "acknowledge"',
      'access.roles.helpers: expected a list of commands but found "status"',
      'access.roles.2nd: expected a role name (letters, digits, - and _) but found "2nd"',
      'access.users.slack:U0123: expected a list of roles but found "viewer"',
      'access.users.alice: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "alice"',
      'access.users.xmpp:bob: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "xmpp:bob"',
      'access.users.slack:bob: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "slack:bob"',
      'access.users.irc:#ops: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "irc:#ops"',
      'access.users.console:root: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "console:root"',
      'access.rooms.#ops: expected a destination such as irc:#ops, xmpp:ops@conference.example.org, slack:#ops or console but found "#ops"',
      'access.authors.irc:bob: expected an author name but found ""',
      'access.authors.bob: expected an identity such as irc:alice, xmpp:alice@example.org, slack:U0123ABC or console but found "bob"',
      'access.users.irc:alice[0]: expected one of the roles viewer, operator, 2nd but found "oprator"',
      'access.rooms.irc:#ops[0]: expected one of the roles viewer, operator, 2nd but found "admins"',
    ],
  );
  t.same(problems(CHAT + 'access:\n  users: { "irc:alice": [oprator] }\n  everyone: [guests]\n  rooms: { "irc:#ops": [admins] }\n'), [
    'access.users.irc:alice[0]: expected one of the roles viewer, operator but found "oprator"',
    'access.rooms.irc:#ops[0]: expected one of the roles viewer, operator but found "admins"',
    'access.everyone[0]: expected one of the roles viewer, operator but found "guests"',
  ]);
});

t.test('a room rule for a destination no backend serves is an error, with the closest one suggested', async (t) => {
  t.same(problems(`${CHAT}access:\n  rooms:\n    "irc:#pubilc": [viewer]\n    "irc:#PUBLIC": [viewer]\n    "xmpp:ops@conference.example.org": []\n    console: []\n`), [
    'access.rooms.irc:#pubilc: expected a destination the chat section configures (irc:#public, irc:#ops, slack:C0123ABC) but found "irc:#pubilc" (did you mean irc:#public?)',
    'access.rooms.irc:#PUBLIC: expected a destination the chat section configures (irc:#public, irc:#ops, slack:C0123ABC) but found "irc:#PUBLIC" (did you mean irc:#public?)',
    'access.rooms.xmpp:ops@conference.example.org: expected a destination the chat section configures (irc:#public, irc:#ops, slack:C0123ABC) but found "xmpp:ops@conference.example.org"',
    'access.rooms.console: expected a destination the chat section configures (irc:#public, irc:#ops, slack:C0123ABC) but found "console"',
  ]);
  t.same(parse('access:\n  rooms: { console: [viewer] }\n').access?.rooms, { console: ['viewer'] }, 'the console is a destination when configured (the default)');
});

t.test('with other access keys wrong, the roles that can be checked still are', async (t) => {
  t.same(problems('access:\n  roles: 3\n  users: { "irc:alice": [1, oprator] }\n  everyone: viewer\n'), [
    'access.roles: expected a mapping of roles to lists of commands but found 3',
    'access.users.irc:alice[0]: expected a role name but found 1',
    'access.everyone: expected a list of roles but found "viewer"',
    'access.users.irc:alice[1]: expected one of the roles viewer, operator but found "oprator"',
  ]);
});

t.test('everyone may only get read-only roles', async (t) => {
  t.same(problems('access:\n  roles: { helpers: [status, recheck] }\n  everyone: [viewer, operator, helpers]\n'), [
    'access.everyone[1]: expected read-only roles for everyone but role "operator" grants ack, unack, comment, downtime, undowntime, recheck, mute, unmute, events',
    'access.everyone[2]: expected read-only roles for everyone but role "helpers" grants recheck',
  ]);
  t.same(parse('access:\n  roles: { readers: [status, help] }\n  everyone: [readers]\n').access?.everyone, ['readers']);
});

t.test('the commented-out commands and access sections of config.example.yml are valid', async (t) => {
  const dir = t.testdir({});
  const example = readFileSync(new URL('../config.example.yml', import.meta.url), 'utf8').replace('/var/lib/icinga-relay/', `${dir}/`);
  // Each section: its "# key:" line and the commented lines under it, uncommented once.
  const section = (key: string) => /^# (\w+):\n(#  .*\n)+/m.exec(example.slice(example.indexOf(`# ${key}:\n`)))![0].replace(/^# ?/gm, '');
  const config = parse(CHAT + section('commands') + section('access'));
  t.same(config.commands, { ...DEFAULT_COMMANDS, auditFile: join(dir, 'audit.jsonl') }, 'the values shown are the defaults');
  t.same(config.access, {
    roles: { viewer: VIEWER, operator: OPERATOR, 'night-shift': ['ack', 'recheck', 'status', 'problems'] },
    users: { console: ['operator'], 'irc:alice': ['operator'], 'xmpp:bob@example.org': ['operator'], 'slack:U0123ABC': ['night-shift'] },
    everyone: ['viewer'],
    rooms: { 'irc:#public': ['viewer'] },
    authors: { 'irc:alice': 'Alice Example' },
  });
});
