import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli.js';
import { ConfigError, parseConfig } from '../src/config/index.js';

const BASE = [
  'icinga:',
  '  url: https://icinga.example.org:5665',
  '  username: relay',
  '  password: ${PW}',
  'chat:',
  '  console:',
  '  irc:',
  '    server: irc.example.org',
  '    channels: ["#ops", "#db"]',
  '  slack:',
  '    bot_token: ${PW}',
  '    app_token: ${PW}',
  '    channels: ["#db-team"]',
  '',
].join('\n');

const parse = (yaml: string) => parseConfig(BASE + yaml, { env: { PW: 'x' } });

function errors(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('routes: every match kind, single values or lists, defaults', async (t) => {
  const { config, warnings } = parse(`
routes:
  - match:
      type: [StateChange, Notification]
      host: "db*"
      service: [disk, "my?ql"]
      state: CRITICAL
      state_type: HARD
      host_group: databases
      service_group: [storage]
      vars: { team: db, tier: 1, on_call: true, env: [prod, staging] }
    to: [irc:#db, slack:#db-team]
    stop: true
  - to: irc:#ops
`);
  t.same(config.routes, [
    {
      match: {
        types: ['StateChange', 'Notification'],
        hosts: ['db*'],
        services: ['disk', 'my?ql'],
        states: ['CRITICAL'],
        stateTypes: ['HARD'],
        hostGroups: ['databases'],
        serviceGroups: ['storage'],
        vars: { team: ['db'], tier: ['1'], on_call: ['true'], env: ['prod', 'staging'] },
      },
      to: ['irc:#db', 'slack:#db-team'],
      stop: true,
    },
    { match: {}, to: ['irc:#ops'], stop: false },
  ]);
  t.same(warnings, ['routes: no route sends to console: nothing will be relayed there']);
  t.equal(parse('').config.routes, undefined, 'no routes key: everything everywhere');
  t.same(parse('routes: []\n').config.routes, [], 'an empty list: nothing anywhere');
});

t.test('routes: errors name their key path', async (t) => {
  t.same(
    errors(`
routes:
  - match: { type: Foo, host: [db*, 3], state: CRIT, state_type: soft, vars: { "a b": x, t: [{a: 1}] }, colour: red }
    to: [bogus]
    stop: maybe
  - {}
  - match: []
    to: []
`),
    [
      'routes[0].match.type: expected one of CheckResult, StateChange, Notification, Flapping, AcknowledgementSet, AcknowledgementCleared, CommentAdded, CommentRemoved, DowntimeAdded, DowntimeRemoved, DowntimeStarted, DowntimeTriggered, ObjectCreated, ObjectModified, ObjectDeleted or a list of them but found "Foo"',
      'routes[0].match.host: expected a host name or glob pattern (* and ?) or a list of them but found ["db*",3]',
      'routes[0].match.state: expected one of UP, DOWN, OK, WARNING, CRITICAL, UNKNOWN or a list of them but found "CRIT"',
      'routes[0].match.state_type: expected SOFT or HARD or a list of them but found "soft"',
      'routes[0].match.vars.t: expected a string, number or true/false or a list of them but found [{"a":1}]',
      'routes[0].match.vars.a b: expected a custom variable name (letters, digits, - and _) but found "a b"',
      'routes[0].match.colour: unknown key (allowed: type, host, service, state, state_type, host_group, service_group, vars)',
      'routes[0].to[0]: expected a destination such as irc:#ops, xmpp:ops@conference.example.org, slack:#ops or console but found "bogus"',
      'routes[0].stop: expected true or false but found "maybe"',
      'routes[1]: missing required key "to"',
      'routes[2].match: expected a mapping but found []',
      'routes[2].to: expected a destination such as irc:#ops, xmpp:ops@conference.example.org, slack:#ops or console or a list of them but found an empty list',
    ],
  );
  t.same(errors('routes: { to: console }\n'), ['routes: expected a list of routes but found a mapping']);
});

t.test('routes: destinations must be ones the chat section configures', async (t) => {
  t.same(errors('routes:\n  - to: [irc:#ops, irc:#nowhere, xmpp:ops@conference.example.org, console]\n'), [
    'routes[0].to[1]: expected a destination the chat section configures (console, irc:#ops, irc:#db, slack:#db-team) but found "irc:#nowhere"',
    'routes[0].to[2]: expected a destination the chat section configures (console, irc:#ops, irc:#db, slack:#db-team) but found "xmpp:ops@conference.example.org"',
  ]);
});

t.test('routes: warnings for what can never match', async (t) => {
  const { warnings } = parse(`
routes:
  - match: { type: [CheckResult, StateChange] }
    to: [console, irc:#ops, irc:#db, slack:#db-team]
  - match: { state_type: SOFT }
    to: console
`);
  t.same(warnings, [
    'routes[0].match.type: CheckResult not in icinga.events, so never relayed',
    'routes[1].match.state_type: SOFT states are dropped before routing unless format.soft_states is true',
  ]);
});

t.test('templates: event types and fields are checked', async (t) => {
  const { config } = parse('templates:\n  StateChange: "{state} {object}: {output} {{literal}}"\n  DowntimeAdded: "{host} in downtime, {starts_in}"\n');
  t.same([...config.templates!.keys()], ['StateChange', 'DowntimeAdded']);
  t.same(config.templates!.get('StateChange'), ['', 'state', ' ', 'object', ': ', 'output', ' {literal}']);
  // Values of the wrong type stop the mapping before its keys and fields are looked at.
  t.same(errors('templates:\n  Notification: 3\n  Flapping: ""\n'), [
    'templates.Notification: expected a template such as "{state} {object}: {output}" but found 3',
    'templates.Flapping: expected a template such as "{state} {object}: {output}" but found ""',
  ]);
  t.same(errors('templates:\n  StateChange: "{state} {objekt}: {output} {"\n  Foo: "{host}"\n  CommentAdded: "{starts_in} }"\n'), [
    'templates.StateChange: expected fields of StateChange events (type, host, service, object, state, state_type, output, previous_state, duration) but found {objekt}',
    'templates.StateChange: expected {field} with braces in pairs ({{ and }} for literal ones) but found a lone "{"',
    'templates.Foo: expected an event type (CheckResult, StateChange, Notification, Flapping, AcknowledgementSet, AcknowledgementCleared, CommentAdded, CommentRemoved, DowntimeAdded, DowntimeRemoved, DowntimeStarted, DowntimeTriggered, ObjectCreated, ObjectModified, ObjectDeleted) but found "Foo"',
    'templates.CommentAdded: expected fields of CommentAdded events (type, host, service, object, author, comment, entry_type, comment_name) but found {starts_in}',
    'templates.CommentAdded: expected {field} with braces in pairs ({{ and }} for literal ones) but found a lone "}"',
  ]);
});

t.test('check-config prints route warnings and errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-routes-'));
  const run = async (yaml: string) => {
    const path = join(dir, 'relay.yml');
    writeFileSync(path, BASE + yaml, { mode: 0o600 });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk) => (out += chunk));
    stderr.on('data', (chunk) => (err += chunk));
    const code = await main(['check-config', path], { stdin: Readable.from([]), stdout, stderr, env: { PW: 'x' } });
    return { code, out, err };
  };
  const ok = await run('routes:\n  - match: { vars: { team: db } }\n    to: irc:#db\n');
  t.equal(ok.code, 0);
  t.match(ok.out, /: OK \(.*; 1 routes\)/);
  t.equal(ok.err, 'warning: routes: no route sends to console, irc:#ops, slack:#db-team: nothing will be relayed there\n');
  const bad = await run('routes:\n  - to: irc:#nowhere\ntemplates:\n  StateChange: "{nothing}"\n');
  t.equal(bad.code, 2);
  t.match(bad.err, /routes\[0\]\.to\[0\]: expected a destination the chat section configures .* but found "irc:#nowhere"|templates\.StateChange: expected fields of StateChange events/);
});

t.test('routes: mention lists nicks and Slack IDs; nothing that could break a line or forge markup', async (t) => {
  const base = 'icinga:\n  url: https://127.0.0.1:5665\n  username: u\n  password: p\nchat:\n  console: {}\nroutes:\n  - to: [console]\n';
  t.same(parseConfig(`${base}    mention: [alice, U0ALICE, "<!subteam^S0ONCALL>"]\n`, { env: {} }).config.routes?.[0].mention, ['alice', 'U0ALICE', '<!subteam^S0ONCALL>']);
  for (const bad of ['"<!channel>"', '"a b"', '"@here"', '"x,y"']) {
    t.throws(() => parseConfig(`${base}    mention: [${bad}]\n`, { env: {} }), /routes\[0\]\.mention\[0\]: expected a nick, a Slack user ID/, bad);
  }
});
