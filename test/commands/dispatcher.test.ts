/** The one path every command takes, with a fake Icinga2 side: replies, refusals, rate limit, audit. */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CommandRegistry, type Command } from '../../src/commands/index.js';
import { SLOW_DOWN_WINDOW_MS } from '../../src/commands/budget.js';
import { chat, dispatcherWithFakes } from './helpers.js';

t.test('chatter is ignored: no reply, no audit', async (t) => {
  const { send, logger } = dispatcherWithFakes();
  t.same(await send(chat('ack web01 looking', 'irc:alice')), []);
  t.same(logger.lines, []);
});

t.test('a reply is a one-line RelayMessage for the destination', async (t) => {
  const { send, clock } = dispatcherWithFakes();
  const [reply, ...rest] = await send(chat('!ack web01!http looking', 'irc:alice'));
  t.same(rest, []);
  t.same(reply, {
    eventType: 'Reply',
    severity: 'info',
    text: 'acknowledged web01!http until it recovers',
    timestamp: clock.now() / 1000,
    fields: { command: 'ack', outcome: 'ok' },
  });
});

t.test('failures become warnings with the failure message; replies are cut to the width', async (t) => {
  const { send } = dispatcherWithFakes({ answers: { acknowledge: { ok: false, kind: 'conflict', message: 'web01!http is OK, nothing to acknowledge' } }, width: 30 });
  const [reply] = await send(chat('!ack web01!http looking', 'irc:alice'));
  t.match(reply, { severity: 'warning', text: 'web01!http is OK, nothing to …', fields: { outcome: 'conflict' } });
});

t.test('unknown commands, bad syntax and very long input get a clear answer', async (t) => {
  const { say, calls } = dispatcherWithFakes();
  t.same(await say(chat('!frobnicate web01', 'irc:alice')), ['unknown command frobnicate, try help']);
  t.same(await say(chat(`!${'x'.repeat(60)}`, 'irc:alice')), [`unknown command ${'x'.repeat(39)}…, try help`]);
  t.same(await say(chat('!"ack web01', 'irc:alice')), ['a double quote (") is not closed']);
  t.same(await say(chat('!ack', 'irc:alice')), ['usage: ack <object> [for <duration>] <comment>']);
  t.same(await say(chat('!ack web01!http', 'irc:alice')), ['say why: a comment is required; usage: ack <object> [for <duration>] <comment>']);
  t.same(await say(chat('!ack web01!http!x looking', 'irc:alice')), [
    '"web01!http!x" is not an object: write host or host!service (names cannot contain !); usage: ack <object> [for <duration>] <comment>',
  ]);
  t.same(await say(chat('!downtime web01 2x upgrade', 'irc:alice')), [
    '"2x" is not a duration (unknown unit "x"): use a whole number and a unit (s, m, h, d, w), largest unit first, e.g. 90s, 30m, 2h, 1d12h, 2w3d; usage: downtime <object> <duration> [flexible] <comment>',
  ]);
  t.same(await say(chat(`!comment web01 ${'a'.repeat(1000)}`, 'irc:alice')), ['that command is too long (1014 characters, at most 1000); please shorten it']);
  t.same(calls, [], 'nothing reached Icinga2');
});

t.test('refusals are polite, logged and audited', async (t) => {
  const { say, logger, calls } = dispatcherWithFakes();
  t.same(await say(chat('!ack web01!http looking', 'irc:bob')), ['bob is not allowed to run ack']);
  t.same(await say(chat('!ack web01!http looking', undefined, { displayName: 'alice' })), [
    'alice is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
  ]);
  t.same(await say({ ...chat('!ack web01!http looking', 'irc:alice'), sender: { identity: 'irc:alice', displayName: 'alice', bot: true } }), [
    'alice is not allowed to run ack: bots never change Icinga2',
  ]);
  t.same(calls, []);
  t.match(logger.lines.join('\n'), /WARN command refused backend=irc destination=irc:#ops identity=irc:bob command=ack/);
  t.match(logger.lines.join('\n'), /INFO command backend=irc destination=irc:#ops identity=irc:bob name=bob command="ack web01!http looking" outcome=denied/);
  t.match(logger.lines.join('\n'), /INFO command backend=irc destination=irc:#ops name=alice command="ack web01!http looking" outcome=denied/);
});

t.test('the rate limit: a burst, then the steady rate; told once a window, then silence', async (t) => {
  const status = { target: { host: 'web01', object: 'web01' }, state: 'UP', downtimes: [] };
  const throttled: string[] = [];
  const outcomes: string[] = [];
  const { send, clock, calls } = dispatcherWithFakes({
    settings: { rate: { burst: 2, perSecond: 0.5 } },
    answers: { status: { ok: true, value: status } },
    onThrottled: (backend) => throttled.push(backend),
    onOutcome: (outcome) => outcomes.push(outcome),
  });
  const ask = (identity: string | undefined, displayName?: string) => send(chat('!status web01', identity, { displayName }));
  t.equal((await ask('irc:alice')).length, 1);
  t.equal((await ask('irc:alice')).length, 1);
  t.match(await ask('irc:alice'), [{ text: 'alice, too many commands: try again in 2 s', severity: 'warning', fields: { outcome: 'rate-limited' } }]);
  t.same(await ask('irc:alice'), [], 'no reply to each message of a flood');
  t.equal((await ask('irc:bob')).length, 1, 'others are not affected');
  clock.advance(2000);
  t.match(await ask('irc:alice'), [{ fields: { outcome: 'ok' } }], 'a token came back');
  t.same(await ask('irc:alice'), [], 'not told again within the window, even after a command passed');
  clock.advance(SLOW_DOWN_WINDOW_MS);
  t.equal((await ask('irc:alice')).length, 1, 'the bucket refilled meanwhile');
  t.equal((await ask('irc:alice')).length, 1);
  t.match(await ask('irc:alice'), [{ text: 'alice, too many commands: try again in 2 s' }], 'told again once the window is over');
  t.equal(calls.length, 6);
  t.same(throttled, ['irc', 'irc'], 'each window of throttling counted once');
  t.equal(outcomes.filter((outcome) => outcome === 'rate-limited').length, 4, 'every line over budget counted');

  // Unknown commands, refusals and usage errors cost a sender as much as commands that run.
  const { send: sendStrict, calls: strictCalls } = dispatcherWithFakes({ settings: { rate: { burst: 3, perSecond: 0.01 } }, answers: { status: { ok: true, value: status } } });
  const mallory = (text: string) => sendStrict(chat(text, 'irc:mallory'));
  t.match(await mallory('!bogus'), [{ fields: { outcome: 'unknown-command' } }]);
  t.match(await mallory('!ack web01!http mine now'), [{ fields: { outcome: 'denied' } }]);
  t.match(await mallory('!status'), [{ fields: { outcome: 'usage' } }]);
  t.match(await mallory('!status web01'), [{ fields: { outcome: 'rate-limited' } }], 'the budget is spent: nothing runs');
  t.same(strictCalls, [], 'and Icinga2 was never asked');

  // Senders without identity share a bucket per backend, so changing nick does not escape it.
  t.equal((await ask(undefined, 'anon1')).length, 1);
  t.equal((await ask(undefined, 'anon2')).length, 1);
  t.match(await send({ ...chat('!status web01', undefined), sender: { displayName: '' } }), [{ text: 'you, too many commands: try again in 2 s' }]);
  t.same(await ask(undefined, 'anon3'), [], 'silent after the notice');
});

t.test('a failing command never shows its error in chat', async (t) => {
  const broken: Command = {
    name: 'status',
    aliases: [],
    usage: 'status <object>',
    description: 'throws',
    role: 'viewer',
    handler: async () => {
      throw new Error('secret internals at line 42');
    },
  };
  const { say, logger } = dispatcherWithFakes({ registry: new CommandRegistry().register(broken) });
  t.same(await say(chat('!status web01', 'irc:alice')), ['that command failed inside the relay; its log has the details']);
  t.match(logger.lines.join('\n'), /ERROR command failed backend=irc command="status web01" error="secret internals at line 42"/);
  t.match(logger.lines.join('\n'), /outcome=error/);
});

t.test('the audit file gets one JSON line per command, appended across restarts', async (t) => {
  const file = join(t.testdir(), 'audit.jsonl');
  const first = dispatcherWithFakes({ auditFile: file });
  await first.send(chat('!ack web01!http looking', 'irc:alice'));
  await first.send(chat('!ack web01!http looking', undefined, { displayName: 'mallory' }));
  first.audit.close();
  const second = dispatcherWithFakes({ auditFile: file });
  second.audit.open();
  await second.send(chat(`!comment web01 ${'long '.repeat(100)}`, 'irc:alice', { destination: 'irc:alice', direct: true }));
  second.audit.close();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  t.same(lines, [
    {
      time: '2026-11-23T12:00:00.000Z',
      backend: 'irc',
      destination: 'irc:#ops',
      identity: 'irc:alice',
      name: 'alice',
      command: 'ack web01!http looking',
      outcome: 'ok',
      reply: 'acknowledged web01!http until it recovers',
    },
    {
      time: '2026-11-23T12:00:00.000Z',
      backend: 'irc',
      destination: 'irc:#ops',
      identity: null,
      name: 'mallory',
      command: 'ack web01!http looking',
      outcome: 'denied',
      reply: 'mallory is not allowed to run ack: the relay cannot tell who you are here (on IRC, log in to services; in XMPP rooms, the room must show real JIDs)',
    },
    {
      time: '2026-11-23T12:00:00.000Z',
      backend: 'irc',
      destination: 'irc:alice',
      identity: 'irc:alice',
      name: 'alice',
      command: `comment web01 ${'long '.repeat(100)}`.trim().slice(0, 199) + '…',
      outcome: 'ok',
      reply: 'added a comment to web01',
    },
  ]);
});

t.test('an audit file that cannot be opened or written is logged; commands keep working', async (t) => {
  const missing = dispatcherWithFakes({ auditFile: join(t.testdir(), 'no', 'such', 'dir', 'audit.jsonl') });
  missing.audit.open();
  t.equal((await missing.say(chat('!help', 'irc:alice'))).length, 1);
  t.equal((await missing.say(chat('!whoami', 'irc:alice'))).length, 1);
  t.match(missing.logger.lines.join('\n'), /ERROR cannot open the audit file; commands are audited in the log only until it can be file=.*audit.jsonl error="ENOENT/);
  t.equal(missing.logger.lines.filter((line) => line.includes('cannot open')).length, 1, 'reported once');

  const full = dispatcherWithFakes({ auditFile: '/dev/full' });
  t.equal((await full.say(chat('!help', 'irc:alice'))).length, 1);
  t.match(full.logger.lines.join('\n'), /ERROR cannot write to the audit file; commands are audited in the log only until it can be written file=\/dev\/full error="ENOSPC/);
  full.audit.close();
  full.audit.close();
});

/** The audit file's entries, as the commands they record. */
const auditedCommands = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line).command) : []);

t.test('the audit file does not stay broken: after a failed write or open, the next command opens it anew', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'audit.jsonl');
  // The disk is full: the path leads to /dev/full, where every write fails with ENOSPC.
  symlinkSync('/dev/full', file);
  const { say, audit, logger } = dispatcherWithFakes({ auditFile: file });
  audit.open();
  await say(chat('!help', 'irc:alice'));
  await say(chat('!whoami', 'irc:alice'));
  t.equal(logger.lines.filter((line) => line.includes('cannot write to the audit file')).length, 1, 'reported once, not per command');
  // Space again: a file of its own at that path.
  rmSync(file);
  await say(chat('!help ack', 'irc:alice'));
  t.same(auditedCommands(file), ['help ack'], 'the first command after it got space again is written');
  t.match(logger.lines.at(-1), /the audit file works again/);

  const missingDir = join(dir, 'later');
  const late = dispatcherWithFakes({ auditFile: join(missingDir, 'audit.jsonl') });
  late.audit.open();
  await late.say(chat('!help', 'irc:alice'));
  mkdirSync(missingDir);
  await late.say(chat('!whoami', 'irc:alice'));
  t.same(auditedCommands(join(missingDir, 'audit.jsonl')), ['whoami'], 'a directory made after start-up is used');
  late.audit.close();
  audit.close();
});

t.test('reopen() (SIGHUP) starts a new file after logrotate moved the old one away', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'audit.jsonl');
  const { say, audit } = dispatcherWithFakes({ auditFile: file });
  audit.open();
  await say(chat('!help', 'irc:alice'));
  renameSync(file, `${file}.1`);
  await say(chat('!whoami', 'irc:alice'));
  t.same(auditedCommands(`${file}.1`), ['help', 'whoami'], 'until reopened, the moved file is written (logrotate then signals)');
  audit.reopen();
  await say(chat('!help ack', 'irc:alice'));
  t.same(auditedCommands(file), ['help ack']);
  t.same(auditedCommands(`${file}.1`), ['help', 'whoami']);
  audit.close();
});
