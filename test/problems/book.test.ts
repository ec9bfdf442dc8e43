import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { PROBLEMS_FILE, ProblemBook, type ProblemStep } from '../../src/problems/book.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { notification, stateChange } from '../helpers/noise.js';

const DAY = 24 * 3_600_000;

function bookWith(options: { dir?: string; forgetAfterMs?: number; clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock();
  const logger = memoryLogger();
  const book = new ProblemBook({ ...options, clock, logger });
  return { book, clock, logger };
}

const steps = (found: ProblemStep[]) => found.map(({ problem, role }) => `${role} #${problem.ref} ${problem.object} ${problem.state}`);

function comment(object: string): RelayMessage {
  const [host, service] = object.split('!');
  return { eventType: 'CommentAdded', severity: 'info', host, service, text: `alice commented on ${object}: x`, timestamp: 1, fields: {} };
}

function storm(state: string, objects: string[], host?: string): RelayMessage {
  return { eventType: 'Relay', severity: 'critical', host, state, text: `storm ${objects.join(', ')}`, timestamp: 1, objects, fields: { noise: 'storm' } };
}

t.test('a problem opens with the first HARD non-OK report, takes in what follows, and ends with the recovery', async (t) => {
  const { book, clock } = bookWith();
  t.same(steps(book.observe('irc:#ops', comment('web01!http'))), [], 'a comment on an OK service is a plain message');
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'CRITICAL', { stateType: 'SOFT' }))), [], 'SOFT is not a problem yet');
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'CRITICAL'))), ['opened #1 web01!http CRITICAL']);
  clock.advance(60_000);
  t.same(steps(book.observe('irc:#ops', comment('web01!http'))), ['update #1 web01!http CRITICAL']);
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'WARNING'))), ['update #1 web01!http WARNING']);
  t.equal(book.openProblemOf('web01!http')?.stateSince, clock.now(), 'the state change moved "since"');
  t.same(steps(book.observe('irc:#ops', notification('web01!http', 'RECOVERY', 'OK'))), ['recovered #1 web01!http OK']);
  t.equal(book.openProblemOf('web01!http'), undefined);
  t.equal(book.find(1)?.closedAt, clock.now(), 'remembered closed');
  t.same(steps(book.observe('irc:#ops', comment('web01!http'))), [], 'after the recovery: plain again');
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'OK'))), [], 'a recovery of no open problem is plain');
});

t.test('a PROBLEM notification opens a problem like a state change', async (t) => {
  const { book } = bookWith();
  t.same(steps(book.observe('irc:#ops', notification('db01', 'PROBLEM', 'DOWN'))), ['opened #1 db01 DOWN']);
});

t.test('problems are per destination, references per relay', async (t) => {
  const { book } = bookWith();
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'CRITICAL'))), ['opened #1 web01!http CRITICAL']);
  t.same(steps(book.observe('irc:#ops', stateChange('db01', 'DOWN'))), ['opened #2 db01 DOWN']);
  t.same(steps(book.observe('slack:C1', stateChange('web01!http', 'CRITICAL'))), ['opened #1 web01!http CRITICAL'], 'same reference in another destination');
  t.same(steps(book.observe('slack:C1', comment('db01'))), [], 'db01 is no problem in slack:C1');
  t.same(steps(book.observe('irc:#ops', stateChange('web01!http', 'OK'))), ['recovered #1 web01!http OK']);
  t.ok(book.openProblemOf('web01!http'), 'still open in slack:C1');
  t.same(steps(book.observe('irc:#ops', comment('web01!http'))), [], 'but closed in irc:#ops');
  t.same(steps(book.observe('slack:C1', stateChange('web01!http', 'OK'))), ['recovered #1 web01!http OK']);
  t.same(book.open().map((problem) => problem.object), ['db01']);
});

t.test('references stay while open, are not reused while remembered, and are freed when forgotten', async (t) => {
  const { book, clock } = bookWith({ forgetAfterMs: DAY });
  book.observe('irc:#ops', stateChange('a', 'DOWN'));
  book.observe('irc:#ops', stateChange('b', 'DOWN'));
  book.observe('irc:#ops', stateChange('a', 'UP'));
  t.same(steps(book.observe('irc:#ops', stateChange('c', 'DOWN'))), ['opened #3 c DOWN'], '#1 is closed but remembered');
  t.same(steps(book.observe('irc:#ops', stateChange('a', 'DOWN'))), ['opened #4 a DOWN'], 'a new problem of the same object is a new reference');
  book.observe('irc:#ops', stateChange('a', 'UP'));
  clock.advance(DAY - 1);
  t.ok(book.find(1), 'not yet forgotten');
  clock.advance(1);
  t.equal(book.find(1), undefined, 'forgotten after forgetAfterMs');
  t.same(steps(book.observe('irc:#ops', stateChange('d', 'DOWN'))), ['opened #1 d DOWN'], 'the smallest free reference');
  t.equal(book.find(2)?.object, 'b', 'open problems are never forgotten');
});

t.test('a storm line opens, updates and ends the problems of the objects it names', async (t) => {
  const { book } = bookWith();
  book.observe('irc:#ops', stateChange('db01!disk', 'CRITICAL'));
  t.same(steps(book.observe('irc:#ops', storm('CRITICAL', ['db01!disk', 'db01!load', 'db01!swap'], 'db01'))), [
    'update #1 db01!disk CRITICAL',
    'opened #2 db01!load CRITICAL',
    'opened #3 db01!swap CRITICAL',
  ]);
  t.same(steps(book.observe('irc:#ops', storm('OK', ['db01!load', 'db01!ntp']))), ['recovered #2 db01!load OK'], 'ntp had no problem');
  const events: RelayMessage = { eventType: 'Relay', severity: 'info', text: '3 DowntimeStarted events', timestamp: 1, objects: ['db01!disk', 'web01'], fields: {} };
  t.same(steps(book.observe('irc:#ops', events)), ['update #1 db01!disk CRITICAL'], 'a summary without a state updates');
});

t.test('the book survives a restart, with its references and roots; closed problems are forgotten on time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'problems-'));
  const clock = new FakeClock();
  const first = bookWith({ dir, clock, forgetAfterMs: DAY }).book;
  first.observe('slack:C1', stateChange('web01!http', 'CRITICAL'));
  first.setRoot('slack:C1', 1, '1700000000.000100');
  first.observe('slack:C1', stateChange('db01', 'DOWN'));
  first.observe('slack:C1', stateChange('db01', 'UP'));
  t.throws(() => readFileSync(join(dir, PROBLEMS_FILE)), 'written a moment later, not on every change');
  clock.advance(1_000);
  const saved = JSON.parse(readFileSync(join(dir, PROBLEMS_FILE), 'utf8'));
  t.equal(saved.problems.length, 2);

  const second = bookWith({ dir, clock, forgetAfterMs: DAY }).book;
  t.equal(second.openProblemOf('web01!http')?.ref, 1);
  t.equal(second.openProblemOf('web01!http')?.places.get('slack:C1')?.rootId, '1700000000.000100');
  t.same(steps(second.observe('slack:C1', stateChange('web01!http', 'OK'))), ['recovered #1 web01!http OK'], 'the same problem goes on');
  t.equal(second.find(2)?.object, 'db01', 'closed ones are remembered');
  clock.advance(DAY - 500);
  second.flush();
  const third = bookWith({ dir, clock, forgetAfterMs: DAY }).book;
  t.equal(third.find(2), undefined, 'and forgotten after forgetAfterMs');
  t.equal(third.find(1)?.object, 'web01!http', 'the one closed later is still remembered');
  third.flush();
  t.equal(JSON.parse(readFileSync(join(dir, PROBLEMS_FILE), 'utf8')).problems.length, 1, 'the file is bounded');
});

t.test('an unreadable or malformed file is logged and the book starts empty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'problems-'));
  writeFileSync(join(dir, PROBLEMS_FILE), '{"version": 1, "problems": [{"ref": "x"}, {"ref": 3, "object": "a", "state": "DOWN", "openedAt": 1, "stateSince": 1, "places": {"irc:#ops": {}}}]}');
  const { book } = bookWith({ dir });
  t.equal(book.openProblemOf('a')?.ref, 3, 'good entries are kept, bad ones skipped');
  writeFileSync(join(dir, PROBLEMS_FILE), 'not json');
  const { book: empty, logger } = bookWith({ dir });
  t.same(empty.open(), []);
  t.match(logger.lines.join('\n'), /problems file is malformed/);
});
