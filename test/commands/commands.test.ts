/**
 * Each command's arguments and replies, over fake actions (the real Icinga2 is in
 * icinga-*.test.ts): what reaches the actions, and what the sender reads.
 */
import t from 'tap';
import { COMMANDS, CommandRegistry, type Command } from '../../src/commands/index.js';
import type { CheckableStatus, Problem } from '../../src/icinga/actions.js';
import { chat, dispatcherWithFakes } from './helpers.js';

const alice = (text: string) => chat(`!${text}`, 'irc:alice');
const web01 = { host: 'web01', object: 'web01' };
const http = { host: 'web01', service: 'http', object: 'web01!http' };

t.test('ack: object, optional "for <duration>", comment; the config decides sticky/notify/persistent', async (t) => {
  const { say, calls } = dispatcherWithFakes();
  t.same(await say(alice('ack web01!http for 2h looking into it')), ['acknowledged web01!http for 2 hours']);
  t.same(await say(alice('ACKNOWLEDGE web01!http  for the DBA team')), ['acknowledged web01!http until it recovers'], 'alias, any case');
  t.same(await say(alice('ack web01!http for')), ['acknowledged web01!http until it recovers'], '"for" alone is the comment');
  t.same(calls, [
    ['acknowledge', http, { author: 'alice (via irc)', comment: 'looking into it', expiresInSeconds: 7200, sticky: true, notify: true, persistent: false }],
    ['acknowledge', http, { author: 'alice (via irc)', comment: 'for the DBA team', expiresInSeconds: undefined, sticky: true, notify: true, persistent: false }],
    ['acknowledge', http, { author: 'alice (via irc)', comment: 'for', expiresInSeconds: undefined, sticky: true, notify: true, persistent: false }],
  ]);
  const nonSticky = dispatcherWithFakes({ settings: { ack: { sticky: false, notify: false, persistent: true } } });
  t.same(await nonSticky.say(alice('ack web01 down for now')), ['acknowledged web01 until its state changes']);
  t.match(nonSticky.calls[0][2], { sticky: false, notify: false, persistent: true });
  t.same(await say(alice('ack web01 for 2 hours')), [
    '"2" is not a duration (2 needs a unit): use a whole number and a unit (s, m, h, d, w), largest unit first, e.g. 90s, 30m, 2h, 1d12h, 2w3d; usage: ack <object> [for <duration>] <comment>',
  ]);
  t.same(await say(alice('ack web01 for 2h')), ['say why: a comment is required; usage: ack <object> [for <duration>] <comment>']);
});

t.test('unack, comment, recheck', async (t) => {
  const { say, calls } = dispatcherWithFakes();
  t.same(await say(alice('unack web01!http')), ['removed the acknowledgement of web01!http']);
  t.same(await say(alice('comment web01 "disk" replaced, see TICKET-42')), ['added a comment to web01']);
  t.same(await say(alice('recheck web01!http')), ['rescheduled the check of web01!http to run now']);
  t.same(await say(alice('check web01')), ['rescheduled the check of web01 to run now']);
  t.same(calls, [
    ['removeAcknowledgement', http, 'alice (via irc)'],
    ['addComment', web01, 'alice (via irc)', '"disk" replaced, see TICKET-42'],
    ['recheck', http],
    ['recheck', web01],
  ]);
  t.same(await say(alice('comment web01')), ['the comment text is missing; usage: comment <object> <text>']);
  t.same(await say(alice('recheck web01 web02')), ['unexpected "web02" at the end; usage: recheck <object>']);
  t.same(await say(alice('unack web01!*')), ['web01!* (a host and all its services) works with downtime and undowntime only; usage: unack <object>']);
});

t.test('downtime: duration forms, fixed by default, flexible, host!*', async (t) => {
  const { say, calls } = dispatcherWithFakes({ answers: { scheduleDowntime: { ok: true, value: { name: 'x', serviceDowntimes: 3 } } } });
  t.same(await say(alice('downtime db01!* 1h kernel upgrade')), ['scheduled a fixed downtime of 1 hour for db01 and all its services']);
  t.same(await say(alice('dt web01!disk 1d12h flexible disk swap')), [
    'scheduled a flexible downtime of 1 day, 12 hours for web01!disk: it starts when a problem begins within the next 1 day, 12 hours',
  ]);
  t.same(await say(alice('downtime web01 90s FIXED reboot')), ['scheduled a fixed downtime of 1 minute, 30 seconds for web01']);
  t.same(
    calls.map((call) => call.slice(1)),
    [
      [{ host: 'db01', object: 'db01' }, { author: 'alice (via irc)', comment: 'kernel upgrade', durationSeconds: 3600, fixed: true, allServices: true }],
      [{ host: 'web01', service: 'disk', object: 'web01!disk' }, { author: 'alice (via irc)', comment: 'disk swap', durationSeconds: 129_600, fixed: false, allServices: false }],
      [web01, { author: 'alice (via irc)', comment: 'reboot', durationSeconds: 90, fixed: true, allServices: false }],
    ],
  );
  t.same(await say(alice('downtime web01 1h flexible')), ['say why: a comment is required; usage: downtime <object> <duration> [flexible] <comment>']);
  t.same(await say(alice('downtime web01')), ['usage: downtime <object> <duration> [flexible] <comment>']);
});

t.test('undowntime: says how many went, and from what', async (t) => {
  const removed = (value: { removed: number; onServices: number }) => dispatcherWithFakes({ answers: { removeDowntimes: { ok: true, value } } });
  t.same(await removed({ removed: 1, onServices: 0 }).say(alice('undowntime web01!disk')), ['removed 1 downtime from web01!disk']);
  t.same(await removed({ removed: 4, onServices: 3 }).say(alice('undowntime db01')), ['removed 4 downtimes from db01 and its services']);
  const all = removed({ removed: 2, onServices: 2 });
  t.same(await all.say(alice('undt db01!*')), ['removed 2 downtimes from db01 and its services']);
  t.same(all.calls, [['removeDowntimes', { host: 'db01', object: 'db01' }, { author: 'alice (via irc)', allServices: true }]]);
});

t.test('failures of actions are replied as they come', async (t) => {
  const { say } = dispatcherWithFakes({ answers: { addComment: { ok: false, kind: 'unreachable', message: 'cannot reach Icinga2: connection refused' } } });
  const replies = await say(alice('comment web01 hello'));
  t.same(replies, ['cannot reach Icinga2: connection refused']);
});

t.test('status: state, since when, output; acknowledgement and downtimes on their own lines', async (t) => {
  const { clock } = dispatcherWithFakes();
  const now = clock.now() / 1000;
  const show = async (value: Partial<CheckableStatus>) =>
    dispatcherWithFakes({ answers: { status: { ok: true, value: { target: http, downtimes: [], ...value } } } }).say(alice('status web01!http'));
  t.same(await show({ state: 'CRITICAL', stateType: 'HARD', since: now - 720, output: 'connection refused' }), ['web01!http is CRITICAL for 12 minutes: connection refused']);
  t.same(await show({ state: 'WARNING', stateType: 'SOFT' }), ['web01!http is WARNING (soft)']);
  t.same(await show({}), ['web01!http is PENDING: no check result yet']);
  t.same(
    await show({
      state: 'CRITICAL',
      stateType: 'HARD',
      acknowledgement: { author: 'alice (via irc)', comment: 'looking', expiry: now + 7200 },
      downtimes: [{ author: 'bob', comment: 'upgrade', end: now + 2700 }, {}],
    }),
    ['web01!http is CRITICAL', 'acknowledged by alice (via irc) (expires in 2 hours): looking', 'in downtime by bob for another 45 minutes: upgrade', 'in downtime'],
  );
  t.same(await show({ state: 'CRITICAL', acknowledgement: {} }), ['web01!http is CRITICAL', 'acknowledged']);
});

t.test('problems: worst first as the actions sort them, at most max_lines, then how many more', async (t) => {
  const { clock } = dispatcherWithFakes();
  const now = clock.now() / 1000;
  const found: Problem[] = [
    { object: 'web02', state: 'DOWN', since: now - 60, output: 'PING CRITICAL' },
    { object: 'web01!http', state: 'CRITICAL', output: 'refused' },
    { object: 'web01!disk', state: 'WARNING' },
  ];
  const list = dispatcherWithFakes({ settings: { maxLines: 2 }, answers: { problems: { ok: true, value: found } } });
  t.same(await list.say(alice('problems')), ['DOWN web02 for 1 minute: PING CRITICAL', 'CRITICAL web01!http: refused', '... and 1 more']);
  t.same(await list.say(alice('problems web0?!*')), ['DOWN web02 for 1 minute: PING CRITICAL', 'CRITICAL web01!http: refused', '... and 1 more']);
  t.same(list.calls, [['problems', undefined], ['problems', 'web0?!*']]);
  const all = dispatcherWithFakes({ settings: { maxLines: 3 }, answers: { problems: { ok: true, value: found } } });
  t.equal((await all.say(alice('problems'))).length, 3, 'no "more" line when all fit');
  const none = dispatcherWithFakes({ answers: { problems: { ok: true, value: [] } } });
  t.same(await none.say(alice('problems')), ['no unhandled problems']);
  t.same(await none.say(alice('problem db*')), ['no unhandled problems matching db*']);
});

t.test('help lists only what the asker may run; help <command> shows the usage', async (t) => {
  const { say } = dispatcherWithFakes();
  t.same(await say(alice('help')), ['commands you may run here: ack, unack, comment, downtime, undowntime, recheck, status, problems, mute, unmute, mutes, events, help, whoami; "help <command>" shows how to use one']);
  t.same(await say(chat('!help', undefined)), ['commands you may run here: status, problems, mutes, help, whoami; "help <command>" shows how to use one']);
  t.same(await say(chat('!help ack', 'irc:bob')), [
    'ack <object> [for <duration>] <comment> (also: acknowledge): acknowledges the problem of a host or service; with "for 2h" the acknowledgement ends by itself after that long. You may not run it here.',
  ]);
  t.same(await say(alice('help comment')), ['comment <object> <text>: adds a comment to a host or service.']);
  t.same(await say(alice('help frobnicate')), ['unknown command frobnicate, try help']);
  t.same(await say(alice('help ack unack')), ['unexpected "unack" at the end; usage: help [command]']);
});

t.test('whoami: the identity the relay sees, and the roles here', async (t) => {
  const { say } = dispatcherWithFakes();
  t.same(await say(alice('whoami')), ['you are irc:alice; your roles here: operator, viewer']);
  t.same(await say(chat('!whoami', undefined, { displayName: 'alice_' })), ['the relay cannot tell who alice_ is here (no verified identity); your roles here: viewer']);
  t.same(await say({ ...chat('!whoami', 'slack:UBOT'), sender: { identity: 'slack:UBOT', displayName: 'ci', bot: true } }), ['you are slack:UBOT, a bot; your roles here: viewer']);
  t.same(await say(chat('!whoami', 'irc:alice', { destination: 'irc:#closed' })), ['you are irc:alice; your roles here: none']);
  t.same(await say(alice('whoami now')), ['unexpected "now" at the end; usage: whoami']);
});

t.test('the registry: names and aliases in any case; collisions and malformed words are caught at registration', async (t) => {
  t.equal(COMMANDS.find('ACK'), COMMANDS.find('acknowledge'));
  t.equal(COMMANDS.find('nope'), undefined);
  const command = (name: string, aliases: string[] = []): Command => ({ name, aliases, usage: name, description: name, role: 'viewer', handler: async () => ({ outcome: 'ok', lines: [] }) });
  t.throws(() => new CommandRegistry().register(command('status')).register(command('state', ['status'])), {
    message: 'command state: "status" is already taken by the command status',
  });
  t.throws(() => new CommandRegistry().register(command('status', ['st'])).register(command('st')), { message: 'command st: "st" is already taken by the command status' });
  t.throws(() => new CommandRegistry().register(command('Status')), { message: 'command Status: "Status" is not a command word (lower case letters, digits, -)' });
  t.throws(() => new CommandRegistry().register(command('status', ['two words'])), { message: 'command status: "two words" is not a command word (lower case letters, digits, -)' });
  const registry = new CommandRegistry();
  t.throws(() => registry.register(command('a', ['b', 'b'])), { message: 'command a: "b" is already taken by the command a' }, 'a duplicate alias of its own');
  t.same(registry.all(), [], 'a rejected command leaves nothing behind');
  for (const each of COMMANDS.all()) {
    t.ok(each.usage.startsWith(each.name), `${each.name}: usage starts with the name`);
    t.ok(each.description.length > 0, `${each.name}: has a description`);
  }
});

t.test('with web configured, status and problems link each object to Icinga Web; problems shows references', async (t) => {
  const { clock } = dispatcherWithFakes();
  const now = clock.now() / 1000;
  const web = { url: 'https://mon.example.org/icingaweb2', module: 'icingadb' } as const;
  const status = dispatcherWithFakes({ web, answers: { status: { ok: true, value: { target: http, downtimes: [], state: 'CRITICAL', stateType: 'HARD', output: 'refused' } } } });
  t.same(await status.say(alice('status web01!http')), ['web01!http is CRITICAL: refused', 'https://mon.example.org/icingaweb2/icingadb/service?name=http&host.name=web01']);
  const found: Problem[] = [
    { object: 'web02', state: 'DOWN', since: now - 60, output: 'PING CRITICAL' },
    { object: 'routeur-äöü!disk /var & co', state: 'CRITICAL', output: 'full' },
  ];
  const references = { find: () => undefined, refOf: (object: string) => (object === 'web02' ? 7 : undefined) };
  const list = dispatcherWithFakes({ references, web: { ...web, module: 'monitoring' }, answers: { problems: { ok: true, value: found } } });
  t.same(await list.say(alice('problems')), [
    '#7 DOWN web02 for 1 minute https://mon.example.org/icingaweb2/monitoring/host/show?host=web02: PING CRITICAL',
    'CRITICAL routeur-äöü!disk /var & co https://mon.example.org/icingaweb2/monitoring/service/show?host=routeur-%C3%A4%C3%B6%C3%BC&service=disk%20%2Fvar%20%26%20co: full',
  ]);
});

t.test('#N stands for the object of an open problem; an unknown or closed one is answered and nothing runs', async (t) => {
  const problems = new Map([
    [3, { object: 'web01!http' }],
    [4, { object: 'db01', closedAt: 1 }],
  ]);
  const references = { find: (ref: number) => problems.get(ref), refOf: () => undefined };
  const { say, calls } = dispatcherWithFakes({ references });
  t.same(await say(alice('ack #3 looking')), ['acknowledged web01!http until it recovers']);
  t.same(await say(alice('downtime #3 2h disk swap')), ['scheduled a fixed downtime of 2 hours for web01!http']);
  const acted = calls.length;
  t.same(await say(alice('ack #9 mine')), ['#9 is not a problem the relay knows; problems lists the open ones']);
  t.same(await say(alice('recheck #4')), ['#4 was db01, which has recovered since; name the object to act on it']);
  t.equal(calls.length, acted, 'nothing ran for them');
  await say(alice('downtime #3x 1h x'));
  t.match(calls.at(-1), ['scheduleDowntime', { object: '#3x' }], 'only # and digits is a reference; #3x is a name');
});

t.test('actions that changed Icinga2 are told to onAction (for folding their events), with the object and author', async (t) => {
  const actions: unknown[] = [];
  const withdrawn: unknown[] = [];
  const { say } = dispatcherWithFakes({ onAction: (action) => (actions.push(action), () => withdrawn.push(action)), answers: { removeDowntimes: { ok: true, value: { removed: 1, onServices: 0 } } } });
  await say(alice('ack web01!http looking'));
  await say(alice('downtime db01!* 1h kernel'));
  await say(alice('status web01!http'));
  await say(chat('!ack web01!http mine', 'irc:bob'));
  t.same(actions, [
    { destination: 'irc:#ops', command: 'ack', author: 'alice (via irc)', host: 'web01', service: 'http', allServices: false },
    { destination: 'irc:#ops', command: 'downtime', author: 'alice (via irc)', host: 'db01', service: undefined, allServices: true },
  ], 'not a read, not a refusal');
  t.same(withdrawn, [], 'both happened');
  const failing = dispatcherWithFakes({ onAction: (action) => (actions.push(action), () => withdrawn.push(action)), answers: { acknowledge: { ok: false, kind: 'not-found', message: 'no such service' } } });
  await failing.say(alice('ack web01!nope looking'));
  t.equal(actions.length, 3, 'told before the action runs');
  t.same(withdrawn, [actions[2]], 'and withdrawn when it failed');
  await failing.say(alice('ack web01!http'));
  t.same(withdrawn.length, 2, 'a usage error after the object withdraws too');
});
