import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CatchUp, currentStates, diffStates, HardStateStore, summaryText, type CurrentState } from '../src/catchup.js';
import { formatGap } from '../src/duration.js';
import type { IcingaEvent } from '../src/icinga/event-types.js';
import { memoryLogger } from '../src/log.js';
import type { RelayMessage } from '../src/message.js';
import { SilenceWatch } from '../src/silence.js';
import { FakeClock } from './helpers/fake-clock.js';

// Shapes as /v1/objects/hosts and /v1/objects/services answer them (Icinga2 2.13).
const HOSTS = [
  { name: 'web01', last_hard_state: 0, last_hard_state_change: 1000, last_check_result: { output: 'PING OK' } },
  { name: 'db01', last_hard_state: 1, last_hard_state_change: 1100, last_check_result: { output: 'down\nmore' } },
  { name: 'new01', last_hard_state: 0, last_hard_state_change: 0, last_check_result: null },
];
const SERVICES = [
  { name: 'http', host_name: 'web01', last_hard_state: 2, last_hard_state_change: 1200, last_check_result: { output: 'refused' } },
  { name: 'disk', host_name: 'db01', last_hard_state: 0, last_hard_state_change: 1300, last_check_result: { output: 'ok' } },
];

const state = (object: string, value: string, since: number): CurrentState => {
  const [host, service] = object.split('!');
  return { object, host: host!, ...(service !== undefined && { service }), state: value, since };
};

function stateChange(object: string, value: number, timestamp: number): IcingaEvent {
  const [host, service] = object.split('!');
  return { type: 'StateChange', host, ...(service && { service }), state: value, state_type: 1, timestamp } as IcingaEvent;
}

t.test('current states from API answers: host and service scales, pending left out, first output line', async (t) => {
  const states = currentStates(HOSTS, SERVICES);
  t.same(
    states.map((s) => [s.object, s.state, s.since, s.output]),
    [
      ['web01', 'UP', 1000, 'PING OK'],
      ['db01', 'DOWN', 1100, 'down'],
      ['web01!http', 'CRITICAL', 1200, 'refused'],
      ['db01!disk', 'OK', 1300, 'ok'],
    ],
  );
});

t.test('diff: new problems, changed problems, recoveries; unknown OK objects and unchanged ones are not changes', async (t) => {
  const known = new Map([
    ['web01!http', { state: 'OK', since: 1 }],
    ['db01!disk', { state: 'CRITICAL', since: 1 }],
    ['db01', { state: 'DOWN', since: 1 }],
    ['web01!load', { state: 'WARNING', since: 1 }],
  ]);
  const changes = diffStates(known, [
    state('web01!http', 'CRITICAL', 5),
    state('db01!disk', 'OK', 5),
    state('db01', 'DOWN', 1),
    state('web01!load', 'CRITICAL', 5),
    state('web02', 'UP', 5),
    state('web03', 'DOWN', 5),
  ]);
  t.same(
    changes.map((c) => [c.object, c.kind, c.previous]),
    [
      ['web01!http', 'problem', 'OK'],
      ['db01!disk', 'recovered', 'CRITICAL'],
      ['web01!load', 'problem', 'WARNING'],
      ['web03', 'problem', undefined],
    ],
  );
});

t.test('summary text: worst first, bounded with "... and N more"', async (t) => {
  t.equal(formatGap(133_000), '2 min 13 s');
  t.equal(formatGap(3_900_000), '1 h 5 min');
  t.equal(formatGap(0), '0 s');
  const changes = diffStates(new Map([['db01!disk', { state: 'CRITICAL', since: 1 }]]), [
    state('web02!load', 'WARNING', 2),
    state('web01!http', 'CRITICAL', 2),
    state('web03', 'DOWN', 2),
    state('db01!disk', 'OK', 2),
  ]);
  const lead = 'While the Icinga2 stream was down (2 min 13 s)';
  t.equal(summaryText(lead, changes, 400), `${lead}: 3 new problems: web01!http CRITICAL, web03 DOWN, web02!load WARNING; 1 recovered: db01!disk`);
  const short = summaryText(lead, changes, 110);
  t.ok(short.length <= 110, short);
  t.match(short, /: 3 new problems: .*\.\.\. and \d more; 1 recovered: /);
});

function setup(options: { dir?: string; read: () => Promise<CurrentState[]>; route?: (message: RelayMessage) => readonly string[] }) {
  const clock = new FakeClock();
  const logger = memoryLogger();
  const store = new HardStateStore({ dir: options.dir, clock, logger, saveDelayMs: 1000 });
  const sent: { destination: string; message: RelayMessage }[] = [];
  const released: IcingaEvent[] = [];
  const catchUp = new CatchUp({
    read: options.read,
    store,
    route: options.route ?? (() => ['irc:#ops']),
    submit: (destination, message) => sent.push({ destination, message }),
    release: (event) => released.push(event),
    clock,
    logger,
    width: 400,
    random: () => 0,
  });
  return { clock, logger, store, sent, released, catchUp };
}

t.test('first start without saved states records silently; the next catch-up reports the gap per destination', async (t) => {
  let answer = [state('web01!http', 'OK', 1), state('db01!disk', 'CRITICAL', 1)];
  const { clock, sent, catchUp } = setup({
    read: async () => answer,
    route: (message) => (message.service === 'disk' ? ['irc:#db', 'irc:#ops'] : ['irc:#ops']),
  });
  await catchUp.run();
  t.same(sent, []);
  const downSince = clock.now();
  clock.advance(133_000);
  answer = [state('web01!http', 'CRITICAL', 100), state('db01!disk', 'OK', 100)];
  await catchUp.run(downSince);
  t.same(
    sent.map(({ destination, message }) => [destination, message.eventType, message.severity, message.text]),
    [
      ['irc:#ops', 'CatchUp', 'critical', 'While the Icinga2 stream was down (2 min 13 s): 1 new problem: web01!http CRITICAL; 1 recovered: db01!disk'],
      ['irc:#db', 'CatchUp', 'ok', 'While the Icinga2 stream was down (2 min 13 s): 1 recovered: db01!disk'],
    ],
  );
  await catchUp.run(clock.now());
  t.equal(sent.length, 2, 'nothing changed, nothing reported');
});

t.test('events during the catch-up are held, then merged: newer events win, older ones are dropped, live ones not repeated', async (t) => {
  let resolveRead!: (states: CurrentState[]) => void;
  let answer: CurrentState[] = [state('a!x', 'OK', 1), state('b!x', 'OK', 1), state('c!x', 'OK', 1)];
  const { clock, sent, released, catchUp } = setup({ read: () => (answer.length ? Promise.resolve(answer) : new Promise((resolve) => (resolveRead = resolve))) });
  await catchUp.run();
  // A live event while connected is recorded: the next catch-up does not repeat it.
  t.notOk(catchUp.hold(stateChange('c!x', 2, 50)));
  answer = [];
  const running = catchUp.run(clock.now());
  t.ok(catchUp.catchingUp);
  const newer = stateChange('a!x', 2, 200);
  const older = stateChange('b!x', 1, 90);
  const other = { type: 'CheckResult', host: 'b', service: 'x', timestamp: 95 } as IcingaEvent;
  t.ok(catchUp.hold(newer));
  t.ok(catchUp.hold(older));
  t.ok(catchUp.hold(other));
  await new Promise((resolve) => setImmediate(resolve));
  resolveRead([state('a!x', 'WARNING', 150), state('b!x', 'CRITICAL', 100), state('c!x', 'CRITICAL', 50)]);
  await running;
  t.same(sent.map(({ message }) => message.text), ['While the Icinga2 stream was down (0 s): 1 new problem: b!x CRITICAL']);
  t.same(released, [newer, other], 'the newer event goes on after the summary; the older state change is dropped');
  t.notOk(catchUp.catchingUp);
});

t.test('a failed reading releases the held events, retries with backoff and then reports the gap', async (t) => {
  let fail = false;
  let answer = [state('a!x', 'OK', 1), state('b!x', 'OK', 1)];
  const reads: number[] = [];
  const { clock, sent, released, catchUp, logger } = setup({
    read: async () => {
      reads.push(clock.now());
      if (fail) throw new Error('HTTP 500');
      return answer;
    },
  });
  await catchUp.run();
  fail = true;
  const downSince = clock.now();
  clock.advance(60_000);
  const running = catchUp.run(downSince);
  const event = stateChange('a!x', 2, 70);
  t.ok(catchUp.hold(event));
  await running;
  t.same(sent, [], 'nothing reported yet');
  t.same(released, [event], 'the held event went on');
  t.notOk(catchUp.catchingUp, 'live events are not held while waiting for the retry');
  t.match(logger.lines.join('\n'), /cannot read the current states; the gap is reported after a retry .*retryInMs=1000/);
  t.same(clock.pendingDelays(), [1000]);
  clock.advance(1000);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(clock.pendingDelays(), [2000], 'failed again: a longer delay');
  fail = false;
  answer = [state('a!x', 'CRITICAL', 70), state('b!x', 'WARNING', 80)];
  clock.advance(2000);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(reads.length, 4, 'the first reading, two failures, the retry');
  t.same(
    sent.map(({ message }) => message.text),
    ['While the Icinga2 stream was down (1 min 3 s): 1 new problem: b!x WARNING'],
    'the gap counted from the disconnect; a!x went out live, so it is not repeated',
  );
  t.same(clock.pendingDelays(), [], 'no retry left');
});

t.test('a reconnect replaces a pending retry; stop() cancels one', async (t) => {
  let fail = true;
  const { clock, sent, catchUp } = setup({
    read: async () => {
      if (fail) throw new Error('timeout');
      return [state('a!x', 'OK', 1)];
    },
  });
  await catchUp.run();
  t.same(clock.pendingDelays(), [1000]);
  fail = false;
  await catchUp.run();
  t.same(clock.pendingDelays(), [], 'the reconnect read instead');
  t.same(sent, [], 'the first successful reading records silently, even after a failure');
  fail = true;
  await catchUp.run(clock.now());
  t.same(clock.pendingDelays(), [1000], 'a success reset the delays');
  catchUp.stop();
  t.same(clock.pendingDelays(), []);
});

t.test('persistence: debounced atomic writes, and a restart reads them and reports the difference', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'catchup-'));
  const first = setup({ dir, read: async () => [state('web01!http', 'OK', 1), state('db01', 'UP', 1)] });
  await first.catchUp.run();
  first.catchUp.hold(stateChange('db01', 1, 5));
  t.same(readdirSync(dir), [], 'not written on every change');
  first.clock.advance(1000);
  t.same(readdirSync(dir), ['hard-states.json'], 'written once, no temporary file left');
  const saved = JSON.parse(readFileSync(join(dir, 'hard-states.json'), 'utf8'));
  t.same(saved.states, { db01: { state: 'DOWN', since: 5 }, 'web01!http': { state: 'OK', since: 1 } });

  const second = setup({ dir, read: async () => [state('web01!http', 'CRITICAL', 9), state('db01', 'UP', 9)] });
  t.ok(second.store.restored);
  second.clock.advance(301_000);
  await second.catchUp.run();
  t.same(second.sent.map(({ message }) => message.text), ['While the relay was stopped (5 min): 1 new problem: web01!http CRITICAL; 1 recovered: db01']);
  second.catchUp.stop();
  t.same(JSON.parse(readFileSync(join(dir, 'hard-states.json'), 'utf8')).states['web01!http'], { state: 'CRITICAL', since: 9 }, 'stop flushes');
});

t.test('a malformed state file is logged and treated as none', async (t) => {
  const dir = t.testdir({ 'hard-states.json': '{"version":7}' });
  const { store, logger } = setup({ dir, read: async () => [] });
  t.notOk(store.restored);
  t.match(logger.lines.join('\n'), /malformed/);
});

t.test('silence: told after silence_after, told again when back; a short gap says nothing', async (t) => {
  const clock = new FakeClock();
  const sent: [string, string, string][] = [];
  const watch = new SilenceWatch({
    afterMs: 120_000,
    notify: ['irc:#ops', 'slack:#ops'],
    submit: (destination, message) => sent.push([destination, message.severity, message.text]),
    clock,
    logger: memoryLogger(),
  });
  watch.start();
  clock.advance(1000);
  watch.found();
  watch.lost('connection refused');
  clock.advance(60_000);
  watch.found();
  t.same(sent, [], 'a one-minute gap is not silence');
  const at = clock.now();
  watch.lost('stream ended');
  watch.lost('connection refused');
  t.equal(watch.since, at);
  clock.advance(120_000);
  const hhmm = new Date(at).toTimeString().slice(0, 5);
  t.same(sent, [
    ['irc:#ops', 'critical', `lost contact with Icinga2 since ${hhmm} (connection refused)`],
    ['slack:#ops', 'critical', `lost contact with Icinga2 since ${hhmm} (connection refused)`],
  ]);
  clock.advance(60_000);
  watch.found();
  t.same(sent.slice(2).map(([, severity, text]) => [severity, text]), [
    ['ok', 'back in contact with Icinga2 after 3 min'],
    ['ok', 'back in contact with Icinga2 after 3 min'],
  ]);
  watch.stop();
});

t.test('a change is saved as announced only once everything handed on has been sent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'catchup-'));
  const clock = new FakeClock();
  let delivered = true;
  const store = new HardStateStore({ dir, clock, logger: memoryLogger(), saveDelayMs: 100, delivered: () => delivered });
  const saved = () => JSON.parse(readFileSync(join(dir, 'hard-states.json'), 'utf8')).states;
  store.replace([state('web01!http', 'OK', 1), state('db01', 'UP', 1)]);
  // Asked a second after a change (the change is handed on right after it is recorded), saved 100 ms later.
  clock.advance(1100);
  t.same(saved(), { db01: { state: 'UP', since: 1 }, 'web01!http': { state: 'OK', since: 1 } }, 'recorded, nothing waiting');

  delivered = false;
  store.set('web01!http', { state: 'CRITICAL', since: 5 });
  store.set('new01', { state: 'DOWN', since: 6 });
  store.set('web01!http', { state: 'WARNING', since: 7 });
  clock.advance(100);
  t.same(saved(), { db01: { state: 'UP', since: 1 }, 'web01!http': { state: 'OK', since: 1 } }, 'while queued: the state before, and an object never announced is left out');
  t.equal(store.undelivered, 2);
  t.equal(store.states.get('web01!http')?.state, 'WARNING', 'the relay itself knows the latest');
  clock.advance(5000);
  t.equal(store.undelivered, 2, 'still queued: still unannounced, asked again each second');

  delivered = true;
  clock.advance(1000);
  t.equal(store.undelivered, 0);
  clock.advance(100);
  t.same(saved(), { db01: { state: 'UP', since: 1 }, new01: { state: 'DOWN', since: 6 }, 'web01!http': { state: 'WARNING', since: 7 } }, 'sent: announced');
  t.same(clock.pendingDelays(), [], 'no more asking');

  delivered = false;
  store.replace([state('web01!http', 'OK', 9), state('db01', 'UP', 1), state('new01', 'DOWN', 6)]);
  store.stop();
  store.checkDelivered();
  store.flush();
  t.same(saved()['web01!http'], { state: 'WARNING', since: 7 }, 'a recovery the catch-up summary reports is announced when that is sent; stopped before, it stays unannounced');
  t.same(clock.pendingDelays(), [], 'stop() ends the asking');
});
