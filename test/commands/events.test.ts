import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../../src/log.js';
import { MuteList } from '../../src/noise/mutes.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { chat, dispatcherWithFakes } from './helpers.js';

const alice = (text: string) => chat(`!${text}`, 'irc:alice');

t.test('events: shows, narrows, restores; names are checked; operators only', async (t) => {
  const { say, mutes } = dispatcherWithFakes();
  t.same(await say(alice('events')), ['every event type is shown here']);
  t.same(await say(alice('events statechange Notification StateChange')), ['shown here from now on: StateChange, Notification']);
  t.ok(mutes.shows('irc:#ops', 'Notification'));
  t.notOk(mutes.shows('irc:#ops', 'DowntimeAdded'));
  t.ok(mutes.shows('irc:#noc', 'DowntimeAdded'), 'per destination');
  t.same(await say(alice('events')), ['shown here: StateChange, Notification (events * shows everything)']);
  t.match(await say(alice('events StateChange Bogus')), [/^Bogus is not an Icinga2 event type \(CheckResult, StateChange, .*\); usage: events /]);
  t.same(mutes.eventFilter('irc:#ops'), ['StateChange', 'Notification'], 'a bad name changes nothing');
  t.same(await say(chat('!events *', 'irc:bob')), ['bob is not allowed to run events']);
  t.same(await say(alice('events *')), ['every event type is shown here again']);
  t.ok(mutes.shows('irc:#ops', 'DowntimeAdded'));
});

t.test('the filters are saved with the mutes and survive a restart', async (t) => {
  const file = join(t.testdir(), 'mutes.json');
  const clock = new FakeClock();
  const first = new MuteList({ stateFile: file, clock, logger: memoryLogger() }, 3_600_000);
  t.ok(first.setEventFilter('irc:#ops', ['StateChange']));
  t.same(JSON.parse(readFileSync(file, 'utf8')).events, { 'irc:#ops': ['StateChange'] });
  const second = new MuteList({ stateFile: file, clock, logger: memoryLogger() }, 3_600_000);
  t.notOk(second.shows('irc:#ops', 'Notification'));
  t.ok(second.shows('irc:#ops', 'StateChange'));
});
