import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { TEST_CERT_PEM, TEST_KEY_PEM } from './helpers/pem.js';
import { Backoff } from '../src/util/backoff.js';
import { ConfigError, DEFAULT_CONFIG_YAML, loadConfig, parseConfig, type ConfigSource, type RelayConfig } from '../src/config/index.js';
import { DEFAULT_EVENT_TYPES, EVENT_TYPES } from '../src/icinga/event-types.js';

const PASSWORD = 'correct-horse-battery';
const ENV = { ICINGA_RELAY_PASSWORD: PASSWORD };
const ICINGA_URL = 'https://icinga.example.org:5665';

/** A valid icinga section with password auth from the environment, plus `extra` lines in it. */
function icinga(extra = ''): string {
  return `icinga:\n  url: ${ICINGA_URL}\n  username: relay\n  password: \${ICINGA_RELAY_PASSWORD}\n${extra}`;
}

/** The problems a ConfigError lists for this text. */
function problems(text: string, source: Partial<ConfigSource> = {}): string[] {
  try {
    parseConfig(text, { env: ENV, ...source });
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function parse(text: string, source: Partial<ConfigSource> = {}) {
  return parseConfig(text, { env: ENV, ...source });
}

const EXPECTED_DEFAULTS: RelayConfig = {
  icinga: {
    urls: [ICINGA_URL],
    auth: { kind: 'password', username: 'relay', password: PASSWORD, passwordFile: undefined },
    events: [...DEFAULT_EVENT_TYPES],
    maxLineBytes: 8 * 1024 * 1024,
    probeIntervalMs: 60_000,
    requestTimeoutMs: 10_000,
    reconnect: { minMs: 1_000, maxMs: 10_000 },
  },
  format: { width: 400, softStates: false },
  chat: { console: { timestamps: 'auto' } },
  log: { level: 'info', deliveries: false },
  shutdown: { flushMs: 5_000 },
};

const ALL_EVENT_TYPES = EVENT_TYPES.join(', ');

t.test('a minimal config gets every default', async (t) => {
  t.same(parse(icinga()), { config: EXPECTED_DEFAULTS, warnings: [], secrets: [PASSWORD] });
});

t.test('every key can be set', async (t) => {
  const dir = t.testdir({ 'ca.crt': TEST_CERT_PEM });
  const { config } = parse(
    `icinga:
  url: [https://a.example.org:5665, https://b.example.org:5665/]
  ca_file: ca.crt
  username: relay
  password: \${ICINGA_RELAY_PASSWORD}
  events: [CheckResult, StateChange]
  filter: 'host.vars.team == "db"'
  max_line_bytes: 1024
  probe_interval: 2m
  request_timeout: 30s
  reconnect: { min: 5s, max: 1h30m }
format: { width: 40, soft_states: true }
chat: { console: { timestamps: never } }
log: { level: debug, deliveries: true }
shutdown: { flush: 12s }
`,
    { path: join(dir, 'relay.yml') },
  );
  t.same(config, {
    configFile: join(dir, 'relay.yml'),
    icinga: {
      urls: ['https://a.example.org:5665', 'https://b.example.org:5665/'],
      ca: TEST_CERT_PEM,
      caFile: join(dir, 'ca.crt'),
      auth: { kind: 'password', username: 'relay', password: PASSWORD, passwordFile: undefined },
      events: ['CheckResult', 'StateChange'],
      filter: 'host.vars.team == "db"',
      maxLineBytes: 1024,
      probeIntervalMs: 120_000,
      requestTimeoutMs: 30_000,
      reconnect: { minMs: 5_000, maxMs: 5_400_000 },
    },
    format: { width: 40, softStates: true },
    chat: { console: { timestamps: 'never' } },
    log: { level: 'debug', deliveries: true },
    shutdown: { flushMs: 12_000 },
  });
});

t.test('sections left empty get their defaults', async (t) => {
  const { config } = parse(`${icinga('  reconnect:\n')}format:\nchat:\n  console:\nlog:\nshutdown:\n`);
  t.same(config, EXPECTED_DEFAULTS);
});

t.test('by default the event stream retries within 10 s of Icinga2 coming back, with jitter; chat backends back off to 60 s', async (t) => {
  const { config } = parse(`${icinga()}chat:\n  irc: { server: irc.example.org, nick: relay, channels: ['#ops'] }\n`);
  const delays = (reconnect: { minMs: number; maxMs: number }, random: number) => {
    const backoff = new Backoff({ initialDelayMs: reconnect.minMs, maxDelayMs: reconnect.maxMs }, { now: () => 0 }, () => random);
    return Array.from({ length: 8 }, () => backoff.nextDelay());
  };
  t.same(delays(config.icinga.reconnect, 0), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000]);
  t.same(delays(config.icinga.reconnect, 0.5), [900, 1_800, 3_600, 7_200, 9_000, 9_000, 9_000, 9_000], 'up to a fifth shorter at random');
  t.equal(config.chat.irc?.reconnect.maxMs, 60_000);
});

t.test('the ranges of numbers are inclusive', async (t) => {
  t.equal(parse(`${icinga()}format: { width: 4000 }\n`).config.format.width, 4000);
  t.same(parse(icinga('  reconnect: { min: 1m, max: 1m }\n')).config.icinga.reconnect, { minMs: 60_000, maxMs: 60_000 });
});

t.test('YAML syntax errors give line and column', async (t) => {
  t.same(problems('icinga:\n  url: [1,\n  b: 2'), [
    'YAML syntax error at line 3, column 3: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  t.same(problems(`${icinga()}icinga: {}\nlog:\n\tlevel: info\n`), [
    'YAML syntax error at line 5, column 1: Map keys must be unique',
    'YAML syntax error at line 7, column 1: Tabs are not allowed as indentation',
  ]);
});

t.test('an empty file, and a top level that is not a mapping', async (t) => {
  const empty = ['top level: expected a mapping with at least an icinga section but found an empty file'];
  t.same(problems(''), empty);
  t.same(problems('# all commented out\n'), empty);
  t.same(problems('- icinga\n'), ['top level: expected a mapping but found ["icinga"]']);
  t.same(problems('icinga\n'), ['top level: expected a mapping but found "icinga"']);
});

t.test('unknown keys are errors at every level', async (t) => {
  t.same(problems(`${icinga('  user: relay\n  reconnect: { min: 1s, maximum: 1m }\n')}route: []\n`), [
    'icinga.reconnect.maximum: unknown key, did you mean max? (allowed: min, max)',
    'icinga.user: unknown key, did you mean username? (allowed: url, ca_file, username, password, password_file, cert_file, key_file, events, filter, max_line_bytes, probe_interval, request_timeout, reconnect)',
    'route: unknown key, did you mean routes? (allowed: icinga, format, chat, log, commands, access, routes, templates, noise, http, state, silence, shutdown, web)',
  ]);
  t.same(problems(`${icinga()}format: { colour: true }\nchat: { console: { colour: x } }\nlog: { file: /x, lvl: debug }\n`), [
    'format.colour: unknown key (allowed: width, soft_states)',
    'chat.console.colour: unknown key (allowed: timestamps)',
    'log.file: unknown key (allowed: level, deliveries)',
    'log.lvl: unknown key (allowed: level, deliveries)',
  ]);
  t.same(problems(`${icinga()}chat: { matrix: { server: x } }\n`), [
    'chat.matrix: unknown key (allowed: console, irc, xmpp, slack)',
    'chat: expected at least one backend (console, irc, xmpp, slack) but found none',
  ]);
});

t.test('required keys and sections', async (t) => {
  t.same(problems('format: { width: 80 }\n'), ['top level: missing required key "icinga"']);
  t.same(problems('icinga: { username: relay, password: x }\n'), ['icinga: missing required key "url"']);
  t.same(problems('icinga:\n'), ['icinga: expected a mapping but found nothing']);
  t.same(problems('icinga: [a, b]\n'), ['icinga: expected a mapping but found ["a","b"]']);
  t.same(problems(`${icinga()}format: 80\n`), ['format: expected a mapping but found 80']);
});

t.test('icinga.url: an https:// URL or a non-empty list of them', async (t) => {
  t.same(problems(icinga().replace(ICINGA_URL, 'ftp://x')), ['icinga.url: expected an https:// URL but found "ftp://x"']);
  t.same(problems(icinga().replace(ICINGA_URL, 'http://icinga:5665')), ['icinga.url: expected an https:// URL but found "http://icinga:5665"']);
  t.same(problems(icinga().replace(ICINGA_URL, 'icinga.example.org')), ['icinga.url: expected an https:// URL but found "icinga.example.org"']);
  t.same(problems(icinga().replace(ICINGA_URL, `[${ICINGA_URL}, ftp://x]`)), ['icinga.url[1]: expected an https:// URL but found "ftp://x"']);
  t.same(problems(icinga().replace(ICINGA_URL, '[]')), ['icinga.url: expected at least one URL but found an empty list']);
  t.same(problems(icinga().replace(ICINGA_URL, '5665')), ['icinga.url: expected an https:// URL or a list of them but found 5665']);
  t.same(problems(icinga().replace(ICINGA_URL, '[5665]')), ['icinga.url: expected an https:// URL or a list of them but found [5665]']);
  t.same(problems(icinga().replace(ICINGA_URL, '{ host: icinga }')), ['icinga.url: expected an https:// URL or a list of them but found a mapping']);
  const longList = `[${Array.from({ length: 40 }, (_, i) => i).join(', ')}]`;
  t.same(problems(icinga().replace(ICINGA_URL, longList)), ['icinga.url: expected an https:// URL or a list of them but found a list of 40 items']);
  t.same(problems(icinga().replace(ICINGA_URL, 'https://relay:secret@icinga:5665')), [
    'icinga.url: expected an https:// URL without user:password@ (use username and password) but found one with it',
  ]);
});

t.test('icinga.events: known types, each once, at least one', async (t) => {
  t.same(problems(icinga('  events: [StateChange, Notification, StateChnage]\n')), [
    `icinga.events[2]: expected one of ${ALL_EVENT_TYPES} but found "StateChnage"`,
  ]);
  t.same(problems(icinga('  events: [StateChange, Notification, StateChange]\n')), [
    'icinga.events[2]: expected each event type once but found "StateChange" again',
  ]);
  t.same(problems(icinga('  events: []\n')), ['icinga.events: expected at least one event type but found an empty list']);
  t.same(problems(icinga('  events: StateChange\n')), ['icinga.events: expected a list of event types but found "StateChange"']);
  t.same(problems(icinga('  events: [5]\n')), [`icinga.events[0]: expected one of ${ALL_EVENT_TYPES} but found 5`]);
});

t.test('icinga.filter is passed on as is, but not empty', async (t) => {
  t.equal(parse(icinga('  filter: match("db*", host.name)\n')).config.icinga.filter, 'match("db*", host.name)');
  t.same(problems(icinga("  filter: ''\n")), ['icinga.filter: expected an Icinga2 filter expression but found ""']);
});

t.test('icinga.max_line_bytes: a positive whole number', async (t) => {
  for (const [value, found] of [['0', '0'], ['-1', '-1'], ['1.5', '1.5'], ['8MiB', '"8MiB"'], ['', 'nothing']]) {
    t.same(problems(icinga(`  max_line_bytes: ${value}\n`)), [`icinga.max_line_bytes: expected a positive whole number of bytes but found ${found}`], value);
  }
});

t.test('durations: icinga.probe_interval and icinga.reconnect', async (t) => {
  t.same(problems(icinga('  probe_interval: 5 minutes\n')), [
    'icinga.probe_interval: expected a duration such as 90s, 30m, 2h or 1d12h but found "5 minutes" (no spaces allowed)',
  ]);
  t.same(problems(icinga('  probe_interval: 60\n')), ['icinga.probe_interval: expected a duration such as 90s, 30m, 2h or 1d12h but found 60']);
  t.same(problems(icinga('  probe_interval: 0s\n')), [
    'icinga.probe_interval: expected a duration such as 90s, 30m, 2h or 1d12h but found "0s" (it must be longer than zero)',
  ]);
  t.same(problems(icinga('  reconnect: { min: 2m, max: 1m }\n')), ['icinga.reconnect: expected min no longer than max but found min 2m, max 1m']);
  t.same(problems(icinga('  reconnect: { min: 20s }\n')), ['icinga.reconnect: expected min no longer than max but found min 20s, max 10s'], 'against the default max');
  t.same(problems(icinga('  reconnect: 5s\n')), ['icinga.reconnect: expected a mapping but found "5s"']);
});

t.test('format: width within 40..4000, soft_states a boolean', async (t) => {
  for (const [value, found] of [['39', '39'], ['4001', '4001'], ['80.5', '80.5'], ['wide', '"wide"']]) {
    t.same(problems(`${icinga()}format: { width: ${value} }\n`), [`format.width: expected a whole number from 40 to 4000 but found ${found}`], value);
  }
  t.same(problems(`${icinga()}format: { soft_states: no }\n`), ['format.soft_states: expected true or false but found "no"']);
});

t.test('chat: console by default, at least one backend when given', async (t) => {
  t.same(parse(icinga()).config.chat, { console: { timestamps: 'auto' } });
  t.same(parse(`${icinga()}chat:\n  console:\n`).config.chat, { console: { timestamps: 'auto' } });
  t.same(problems(`${icinga()}chat: {}\n`), ['chat: expected at least one backend (console, irc, xmpp, slack) but found none']);
  t.same(problems(`${icinga()}chat:\n`), ['chat: expected at least one backend (console, irc, xmpp, slack) but found none']);
  t.same(problems(`${icinga()}chat: { console: { timestamps: sometimes } }\n`), [
    'chat.console.timestamps: expected one of auto, always, never but found "sometimes"',
  ]);
  t.same(problems(`${icinga()}chat: { console: { timestamps: true } }\n`), [
    'chat.console.timestamps: expected one of auto, always, never but found true',
  ]);
  t.same(problems(`${icinga()}chat: { console: on }\n`), ['chat.console: expected a mapping but found "on"']);
});

t.test('log.level: one of the log levels', async (t) => {
  t.equal(parse(`${icinga()}log: { level: warn }\n`).config.log.level, 'warn');
  t.same(problems(`${icinga()}log: { level: loud }\n`), ['log.level: expected one of debug, info, warn, error but found "loud"']);
});

t.test('${ENV} substitution in string values', async (t) => {
  const env = { ...ENV, ICINGA_HOST: 'icinga.example.org', TEAM: 'db', EVENT: 'Flapping', EMPTY: '' };
  const { config } = parse(
    `icinga:
  url: https://\${ICINGA_HOST}:5665
  username: relay-\${TEAM}
  password: \${ICINGA_RELAY_PASSWORD}
  # In a flow list a \${ must be quoted: YAML reads { as the start of a mapping.
  events: [StateChange, '\${EVENT}']
  filter: 'host.vars.team == "\${TEAM}" && host.vars.note == "$\${TEAM}" && "$" != "\${EMPTY}"'
`,
    { env },
  );
  t.same(config.icinga.urls, ['https://icinga.example.org:5665']);
  t.same(config.icinga.auth, { kind: 'password', username: 'relay-db', password: PASSWORD, passwordFile: undefined });
  t.same(config.icinga.events, ['StateChange', 'Flapping']);
  t.equal(config.icinga.filter, 'host.vars.team == "db" && host.vars.note == "${TEAM}" && "$" != ""');
});

t.test('a variable value is plain text, never YAML', async (t) => {
  const { config } = parse(icinga('  filter: ${FILTER}\n'), { env: { ...ENV, FILTER: 'true\nformat: { width: 40 }' } });
  t.equal(config.icinga.filter, 'true\nformat: { width: 40 }');
  t.equal(config.format.width, 400);
  t.same(problems(icinga('  username: ${NAME}\n').replace('  username: relay\n', ''), { env: { ...ENV, NAME: '' } }), [
    'icinga.username: expected a user name but found ""',
  ]);
});

t.test('an unset or malformed variable names the key path and the variable', async (t) => {
  t.same(problems(icinga().replace(ICINGA_URL, 'https://${ICINGA_HOST}:${ICINGA_PORT}')), [
    'icinga.url: environment variable ICINGA_HOST is not set',
    'icinga.url: environment variable ICINGA_PORT is not set',
  ]);
  t.same(problems(icinga(), { env: {} }), ['icinga.password: environment variable ICINGA_RELAY_PASSWORD is not set']);
  t.same(problems(icinga('  events:\n    - ${EVENTS}\n')), ['icinga.events[0]: environment variable EVENTS is not set']);
  t.same(problems(icinga().replace(ICINGA_URL, '["${PRIMARY}"]')), ['icinga.url[0]: environment variable PRIMARY is not set']);
  t.same(problems(icinga('  probe_interval: ${PROBE}\n')), ['icinga.probe_interval: environment variable PROBE is not set']);
  const hint = 'write ${NAME} (letters, digits, _), or $${ for a literal ${';
  t.same(problems(icinga('  filter: x == "${team-name}"\n')), [`icinga.filter: "\${team-name}" is not a valid variable reference: ${hint}`]);
  t.same(problems(icinga('  filter: x == "${TEAM"\n')), [`icinga.filter: "\${TEAM\\"" is not a valid variable reference: ${hint}`]);
  t.same(problems(icinga('  filter: ${}\n')), [`icinga.filter: "\${}" is not a valid variable reference: ${hint}`]);
  // The text of a secret stays out of the message.
  t.same(problems(icinga().replace('${ICINGA_RELAY_PASSWORD}', 'pa${ss')), [`icinga.password: the value holds an invalid variable reference: ${hint}`]);
});

t.test('password auth: password or password_file, with a username', async (t) => {
  const dir = t.testdir({ password: 'from-a-file\n', 'password-crlf': 'crlf-file\r\n', 'password-lines': 'two\nlines\n\n', empty: '\n', sub: {} });
  const path = join(dir, 'relay.yml');
  const withFile = (file: string) => icinga().replace('password: ${ICINGA_RELAY_PASSWORD}', `password_file: ${file}`);

  t.same(parse(withFile('password'), { path }), {
    config: { ...EXPECTED_DEFAULTS, configFile: path, icinga: { ...EXPECTED_DEFAULTS.icinga, auth: { kind: 'password', username: 'relay', password: 'from-a-file', passwordFile: join(dir, 'password') } } },
    warnings: [],
    secrets: ['from-a-file'],
  });
  t.match(parse(withFile('password-crlf'), { path }).config.icinga.auth, { password: 'crlf-file' });
  t.match(parse(withFile('password-lines'), { path }).config.icinga.auth, { password: 'two\nlines\n' });
  t.match(parse(withFile(join(dir, 'password'))).config.icinga.auth, { password: 'from-a-file' }, 'an absolute path needs no config path');

  t.same(problems(withFile('missing'), { path }), [`icinga.password_file: cannot read ${join(dir, 'missing')} (ENOENT: no such file or directory)`]);
  t.same(problems(withFile('sub'), { path }), [`icinga.password_file: cannot read ${join(dir, 'sub')} (EISDIR: illegal operation on a directory)`]);
  t.same(problems(withFile('empty'), { path }), [`icinga.password_file: expected a password in ${join(dir, 'empty')} but found an empty file`]);
  t.same(problems(icinga(`  password_file: ${join(dir, 'password')}\n`)), ['icinga: expected either password or password_file but found both']);
  t.same(problems(icinga().replace('  username: relay\n', '')), ['icinga: missing required key "username" (password auth needs it)']);
  const neither = 'icinga: expected password auth (username with password or password_file) or client-certificate auth (cert_file + key_file) but found neither';
  t.same(problems(icinga().replace('  password: ${ICINGA_RELAY_PASSWORD}\n', '')), [neither]);
  t.same(problems(`icinga: { url: ${ICINGA_URL} }\n`), [neither]);
});

t.test('the password must be a non-empty string, and is never shown', async (t) => {
  const withPassword = (value: string) => icinga().replace('${ICINGA_RELAY_PASSWORD}', value);
  t.same(problems(withPassword('12345678')), ['icinga.password: expected a password (a string: quote it) but found a number']);
  t.same(problems(withPassword('[a, b]')), ['icinga.password: expected a password (a string: quote it) but found a list']);
  t.same(problems(withPassword('{ a: b }')), ['icinga.password: expected a password (a string: quote it) but found a mapping']);
  t.same(problems(withPassword('')), ['icinga.password: expected a password (a string: quote it) but found nothing']);
  t.same(problems(withPassword("''")), ['icinga.password: expected a password but found an empty string']);
});

t.test('client-certificate auth: cert_file and key_file, both readable', async (t) => {
  const dir = t.testdir({ 'relay.crt': TEST_CERT_PEM, 'relay.key': TEST_KEY_PEM });
  const path = join(dir, 'relay.yml');
  const base = `icinga:\n  url: ${ICINGA_URL}\n`;

  const { config, secrets } = parse(`${base}  cert_file: relay.crt\n  key_file: relay.key\n`, { path });
  t.same(config.icinga.auth, {
    kind: 'certificate',
    username: undefined,
    cert: TEST_CERT_PEM,
    certFile: join(dir, 'relay.crt'),
    key: TEST_KEY_PEM,
    keyFile: join(dir, 'relay.key'),
  });
  t.same(secrets, []);
  t.match(parse(`${base}  username: relay\n  cert_file: relay.crt\n  key_file: relay.key\n`, { path }).config.icinga.auth, { kind: 'certificate', username: 'relay' });

  t.same(problems(`${base}  cert_file: relay.crt\n`, { path }), ['icinga: missing required key "key_file" (cert_file needs it)']);
  t.same(problems(`${base}  key_file: relay.key\n`, { path }), ['icinga: missing required key "cert_file" (key_file needs it)']);
  t.same(problems(`${base}  cert_file: relay.crt\n  key_file: nope.key\n`, { path }), [
    `icinga.key_file: cannot read ${join(dir, 'nope.key')} (ENOENT: no such file or directory)`,
  ]);
  t.same(problems(`${base}  cert_file: ''\n  key_file: relay.key\n`, { path }), [
    'icinga.cert_file: expected the path of a client certificate file (PEM) but found ""',
  ]);
  t.same(problems(icinga('  cert_file: relay.crt\n  key_file: relay.key\n'), { path }), [
    'icinga: expected either password auth (password / password_file) or client-certificate auth (cert_file + key_file) but found both',
  ]);
});

t.test('icinga.ca_file is read into the config', async (t) => {
  const dir = t.testdir({ 'ca.crt': TEST_CERT_PEM });
  t.match(parse(icinga(`  ca_file: ${join(dir, 'ca.crt')}\n`)).config.icinga, { ca: TEST_CERT_PEM, caFile: join(dir, 'ca.crt') });
  t.same(problems(icinga(`  ca_file: ${join(dir, 'nope.crt')}\n`)), [`icinga.ca_file: cannot read ${join(dir, 'nope.crt')} (ENOENT: no such file or directory)`]);
  t.same(problems(icinga('  ca_file: 5\n')), ['icinga.ca_file: expected the path of a CA certificate file (PEM) but found 5']);
});

t.test('secrets lists every resolved secret value', async (t) => {
  t.same(parse(icinga()).secrets, [PASSWORD]);
  t.same(parse(icinga().replace('${ICINGA_RELAY_PASSWORD}', 'inline-secret')).secrets, ['inline-secret']);
  t.same(parse(icinga().replace('${ICINGA_RELAY_PASSWORD}', 'pre-${ICINGA_RELAY_PASSWORD}')).secrets, [`pre-${PASSWORD}`]);
});

t.test('many problems are reported together', async (t) => {
  t.same(
    problems(`icinga:
  url: ftp://icinga
  pasword: secret
  events: [StateChnage]
  probe_interval: 1 minute
format: { width: 5 }
chat: { console: { colour: true } }
log: { level: loud }
`),
    [
      'icinga.url: expected an https:// URL but found "ftp://icinga"',
      `icinga.events[0]: expected one of ${ALL_EVENT_TYPES} but found "StateChnage"`,
      'icinga.probe_interval: expected a duration such as 90s, 30m, 2h or 1d12h but found "1 minute" (no spaces allowed)',
      'icinga.pasword: unknown key, did you mean password? (allowed: url, ca_file, username, password, password_file, cert_file, key_file, events, filter, max_line_bytes, probe_interval, request_timeout, reconnect)',
      'icinga: expected password auth (username with password or password_file) or client-certificate auth (cert_file + key_file) but found neither',
      'format.width: expected a whole number from 40 to 4000 but found 5',
      'chat.console.colour: unknown key (allowed: timestamps)',
      'log.level: expected one of debug, info, warn, error but found "loud"',
    ],
  );
});

t.test('a ConfigError lists its problems under the file name', async (t) => {
  const dir = t.testdir({ 'relay.yml': 'icinga: {}\nlog: { level: loud }\n' });
  const path = join(dir, 'relay.yml');
  t.throws(() => loadConfig(path, ENV), {
    name: 'ConfigError',
    path,
    message: `invalid configuration in ${path}:\n  - icinga: missing required key "url"\n  - icinga: expected password auth (username with password or password_file) or client-certificate auth (cert_file + key_file) but found neither\n  - log.level: expected one of debug, info, warn, error but found "loud"`,
  });
  t.throws(() => parse('log: {}\n'), { message: 'invalid configuration:\n  - top level: missing required key "icinga"' });
  t.throws(() => loadConfig(join(dir, 'nope.yml'), ENV), {
    errors: [`cannot read ${join(dir, 'nope.yml')} (ENOENT: no such file or directory)`],
  });
});

t.test('loadConfig warns about an inline secret in a file others can read', async (t) => {
  const inline = icinga().replace('${ICINGA_RELAY_PASSWORD}', 'inline-secret');
  const dir = t.testdir({
    'inline.yml': inline,
    // A function, because a replacement string would read $$ as $.
    'escaped.yml': icinga().replace('${ICINGA_RELAY_PASSWORD}', () => '$${NOT_A_VARIABLE}'),
    'partly.yml': icinga().replace('${ICINGA_RELAY_PASSWORD}', 'pre-${ICINGA_RELAY_PASSWORD}'),
    'env.yml': icinga(),
    'file.yml': icinga().replace('password: ${ICINGA_RELAY_PASSWORD}', 'password_file: password'),
    password: 'from-a-file\n',
  });
  const warningsFor = (name: string, mode: number) => {
    const path = join(dir, name);
    chmodSync(path, mode);
    return loadConfig(path, ENV).warnings;
  };
  const advice = 'make it owner root, group icinga-relay, mode 0640, or use password_file / ${ENV}';
  t.same(warningsFor('inline.yml', 0o644), [`config file ${join(dir, 'inline.yml')} is readable by others (mode 0644) and holds a password: ${advice}`]);
  t.same(warningsFor('inline.yml', 0o640), [], 'root:icinga-relay 0640 is how the service reads it');
  t.same(warningsFor('inline.yml', 0o604), [`config file ${join(dir, 'inline.yml')} is readable by others (mode 0604) and holds a password: ${advice}`]);
  t.same(warningsFor('inline.yml', 0o600), []);
  t.equal(warningsFor('escaped.yml', 0o644).length, 1, 'an escaped ${ is literal text');
  t.equal(warningsFor('partly.yml', 0o644).length, 1, 'text around a variable is literal text');
  t.same(warningsFor('env.yml', 0o644), [], 'a password from ${ENV} is not in the file');
  t.same(warningsFor('file.yml', 0o644), [], 'a password from password_file is not in the file');
  t.same(parse(inline).warnings, [], 'without a mode there is nothing to warn about');
});

t.test('DEFAULT_CONFIG_YAML takes the Icinga2 endpoint and credentials from the environment', async (t) => {
  const dir = t.testdir({ 'ca.crt': TEST_CERT_PEM });
  const env = {
    ICINGA_RELAY_URL: 'https://localhost:5665',
    ICINGA_RELAY_CA_FILE: join(dir, 'ca.crt'),
    ICINGA_RELAY_USERNAME: 'relay',
    ICINGA_RELAY_PASSWORD: PASSWORD,
  };
  t.same(parseConfig(DEFAULT_CONFIG_YAML, { env }).config, {
    ...EXPECTED_DEFAULTS,
    icinga: { ...EXPECTED_DEFAULTS.icinga, urls: ['https://localhost:5665'], ca: TEST_CERT_PEM, caFile: join(dir, 'ca.crt') },
  });
  t.same(problems(DEFAULT_CONFIG_YAML, { env: {} }), [
    'icinga.url: environment variable ICINGA_RELAY_URL is not set',
    'icinga.ca_file: environment variable ICINGA_RELAY_CA_FILE is not set',
    'icinga.username: environment variable ICINGA_RELAY_USERNAME is not set',
    'icinga.password: environment variable ICINGA_RELAY_PASSWORD is not set',
  ]);
});

t.test('config.example.yml', async (t) => {
  const example = readFileSync(new URL('../config.example.yml', import.meta.url), 'utf8');
  const dir = t.testdir({
    'icinga-ca.crt': TEST_CERT_PEM,
    password: 'from-a-file\n',
    'relay.crt': TEST_CERT_PEM,
    'relay.key': TEST_KEY_PEM,
    'irc-ca.crt': TEST_CERT_PEM,
    'irc-sasl-password': 'irc-secret\n',
    state: {},
  });
  // The example names files under /etc/icinga-relay/ and /var/lib/icinga-relay; the test has them in its own directory.
  const localExample = example.replaceAll('/etc/icinga-relay/', `${dir}/`).replaceAll('/var/lib/icinga-relay', join(dir, 'state'));
  /** The example with `active` commented out and the commented-out `alternatives` in. */
  const variant = (active: string[], alternatives: string[]) => {
    let text = localExample;
    for (const key of active) text = text.replace(new RegExp(`^(\\s*)(${key}: .*)$`, 'm'), '$1# $2');
    for (const key of alternatives) text = text.replace(new RegExp(`^(\\s*)#\\s+(${key}: .*)$`, 'm'), '$1$2');
    return text;
  };

  await t.test('loads as it is, and its values are the defaults', async (t) => {
    const { config, warnings } = parse(localExample);
    t.same(warnings, []);
    const irc = parse(`${icinga()}chat:\n  irc: { server: irc.example.org, nick: icinga-relay, channels: ['#ops'] }\n`).config.chat;
    t.same(config, {
      ...EXPECTED_DEFAULTS,
      icinga: { ...EXPECTED_DEFAULTS.icinga, ca: TEST_CERT_PEM, caFile: join(dir, 'icinga-ca.crt'), auth: { kind: 'password', username: 'icinga-relay', password: PASSWORD, passwordFile: undefined } },
      // A service: IRC, not the console (under systemd a copy of every alert in the journal), and catch-up across restarts.
      chat: irc,
      state: { dir: join(dir, 'state'), forgetProblemsAfterMs: 7 * 86_400_000 },
    });
  });

  await t.test('its commented-out alternatives are valid too', async (t) => {
    t.same(parse(variant(['url'], ['url'])).config.icinga.urls, ['https://icinga1.example.org:5665', 'https://icinga2.example.org:5665']);
    t.match(parse(variant(['password'], ['password_file'])).config.icinga.auth, { kind: 'password', password: 'from-a-file' });
    t.match(parse(variant(['password'], ['cert_file', 'key_file'])).config.icinga.auth, { kind: 'certificate', cert: TEST_CERT_PEM, key: TEST_KEY_PEM });
    t.equal(parse(variant([], ['filter'])).config.icinga.filter, 'host.vars.team == "db"');
    const consoleInstead = localExample.slice(0, localExample.indexOf('\n  irc:\n')).replace('  # console:\n', '  console:\n') + localExample.slice(localExample.indexOf('\nlog:\n'));
    t.same(parse(consoleInstead).config.chat, { console: { timestamps: 'auto' } }, 'the console instead of IRC');
  });

  await t.test('its IRC block works with every commented-out key uncommented (one of each alternative)', async (t) => {
    const start = localExample.indexOf('\n  irc:\n');
    const end = localExample.indexOf('\nlog:\n');
    const uncommented = localExample
      .slice(start, end)
      .split('\n')
      // Keys and list items, not prose; of the alternatives, the password file (nickserv_password and sasl_password need the environment).
      .map((line) => (/^(\s*)# (- |[a-z_]+:)/.test(line) && !/sasl_password:|nickserv_password:|#oncall/.test(line) ? line.replace('# ', '') : line))
      .join('\n');
    const { config } = parse(localExample.slice(0, start) + uncommented + localExample.slice(end));
    t.match(config.chat.irc, {
      host: 'irc.example.org',
      port: 6697,
      tls: true,
      ca: TEST_CERT_PEM,
      nick: 'icinga-relay',
      sasl: { account: 'icinga-relay', password: 'irc-secret' },
      channels: [{ name: '#ops' }],
      rate: { burst: 4, perSecond: 0.5 },
      queueSize: 1000,
    });
    const withKey = parse(localExample.replace("# - { name: '#oncall'", "- { name: '#oncall'"), { env: { ...ENV, IRC_ONCALL_KEY: 'k3y' } });
    t.same(withKey.config.chat.irc?.channels, [{ name: '#ops' }, { name: '#oncall', key: 'k3y' }], 'the keyed channel, with its key in the environment');
  });

  await t.test('it documents every key', async (t) => {
    // The allowed keys of each section, as the unknown-key error lists them.
    const sections = [
      'not_a_key: 1\n',
      icinga() + 'web: { url: https://x, not_a_key: 1 }\nstate: { dir: /, not_a_key: 1 }\n',
      icinga('  not_a_key: 1\n  reconnect: { not_a_key: 1 }\n') + 'format: { not_a_key: 1 }\nchat: { console: { not_a_key: 1 } }\nlog: { not_a_key: 1 }\n',
    ].flatMap((text) => problems(text));
    const keys = sections.flatMap((problem) => /\(allowed: (.*)\)$/.exec(problem)?.[1].split(', ') ?? []);
    t.ok(keys.length > 20, 'found the allowed keys of every section');
    for (const key of keys) t.match(example, new RegExp(`^ *(# +)?${key}:`, 'm'), key);
    for (const type of EVENT_TYPES) t.match(example, new RegExp(`\\b${type}\\b`), type);
  });
});

t.test('web: an http(s) URL without a trailing slash, icingadb by default or monitoring', async (t) => {
  t.same(parse(`${icinga()}web: { url: 'https://mon.example.org/icingaweb2/' }\n`).config.web, { url: 'https://mon.example.org/icingaweb2', module: 'icingadb' });
  t.same(parse(`${icinga()}web: { url: 'http://mon/icingaweb2', module: monitoring }\n`).config.web, { url: 'http://mon/icingaweb2', module: 'monitoring' });
  t.equal(parse(icinga()).config.web, undefined, 'no links without the section');
  t.same(problems(`${icinga()}web: { url: 'mon.example.org', module: icinga }\n`), [
    'web.url: expected an http(s):// URL such as https://monitoring.example.org/icingaweb2 but found "mon.example.org"',
    'web.module: expected one of icingadb, monitoring but found "icinga"',
  ]);
});

t.test('state: forget_problems_after, 7 days by default', async (t) => {
  const dir = t.testdir();
  t.equal(parse(`${icinga()}state: { dir: ${dir} }\n`).config.state?.forgetProblemsAfterMs, 7 * 86_400_000);
  t.equal(parse(`${icinga()}state: { dir: ${dir}, forget_problems_after: 2d }\n`).config.state?.forgetProblemsAfterMs, 2 * 86_400_000);
});
