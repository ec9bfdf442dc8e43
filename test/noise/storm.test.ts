import t from 'tap';
import { DEFAULT_NOISE } from '../../src/config/index.js';
import { noiseWith, notification, stateChange } from '../helpers/noise.js';

/** The number in a line that stands for several events, or 1 for a single message. */
const counted = (texts: string[]) =>
  texts.reduce((sum, text) => sum + Number(/^(?:\S+: )?(\d+) (?:hosts?|services?)\b/.exec(text)?.[1] ?? 1), 0);

t.test('a lone alert goes out at once, and one a second later too', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  t.same(texts(), ['CRITICAL web01!http'], 'no waiting for a window');
  clock.advance(1_000);
  noise.submit('irc:#ops', stateChange('web02!http', 'CRITICAL'));
  t.same(texts(), ['CRITICAL web01!http', 'CRITICAL web02!http']);
});

t.test('an alert inside a window waits at most one window', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(100);
  noise.submit('irc:#ops', stateChange('web02!http', 'CRITICAL'));
  t.equal(texts().length, 1);
  clock.advance(DEFAULT_NOISE.storm.windowMs - 100);
  t.same(texts(), ['CRITICAL web01!http', 'CRITICAL web02!http'], 'fewer than group_from go out one by one');
});

t.test('300 hosts DOWN in a burst become a few lines, and the counts add up', async (t) => {
  const { noise, texts, clock } = noiseWith();
  for (let i = 1; i <= 300; i++) noise.submit('irc:#ops', stateChange(`host${String(i).padStart(3, '0')}`, 'DOWN'));
  clock.advance(5_000);
  t.same(texts(), ['DOWN host001', '299 hosts DOWN: host002, host003, host004, host005, host006, ... and 294 more']);
  t.equal(counted(texts()), 300);

  for (let i = 1; i <= 300; i++) noise.submit('irc:#ops', stateChange(`host${String(i).padStart(3, '0')}`, 'UP'));
  clock.advance(5_000);
  t.same(texts().slice(2), ['UP host001', '299 hosts UP: host002, host003, host004, host005, host006, ... and 294 more'], 'recoveries alike');
});

t.test('services: per host while few hosts, one line across hosts when many', async (t) => {
  const { noise, texts, clock } = noiseWith();
  const services = ['disk', 'load', 'mysql', 'swap', 'ntp', 'http', 'ssh', 'smtp', 'dns', 'procs', 'users', 'raid', 'backup', 'mem'];
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  for (const service of services) noise.submit('irc:#ops', stateChange(`db01!${service}`, 'CRITICAL'));
  noise.submit('irc:#ops', stateChange('db02!disk', 'WARNING'));
  clock.advance(1_000);
  t.same(texts(), ['CRITICAL web01!http', 'db01: 14 services CRITICAL: disk, load, mysql, swap, ntp, ... and 9 more', 'WARNING db02!disk']);

  const burst = noiseWith();
  for (let host = 1; host <= 100; host++) {
    for (const service of ['disk', 'load', 'http', 'ssh', 'ntp']) burst.noise.submit('irc:#ops', stateChange(`web${host}!${service}`, 'CRITICAL'));
  }
  burst.clock.advance(1_000);
  t.same(burst.texts(), ['CRITICAL web1!disk', '499 services CRITICAL on 100 hosts: web2 (5), web3 (5), web4 (5), web5 (5), web6 (5), ... and 95 more']);
  t.equal(counted(burst.texts()), 500);
});

t.test('a storm lasts as long as events keep coming; other events are grouped by type', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01', 'DOWN'));
  for (let second = 0; second < 3; second++) {
    for (let i = 0; i < 10; i++) noise.submit('irc:#ops', { ...stateChange(`db${second}${i}`, 'DOWN'), eventType: 'DowntimeAdded', state: undefined, text: `Downtime added for db${second}${i}` });
    clock.advance(1_000);
  }
  clock.advance(1_000);
  t.same(texts(), [
    'DOWN web01',
    '10 DowntimeAdded events: db00, db01, db02, db03, db04, ... and 5 more',
    '10 DowntimeAdded events: db10, db11, db12, db13, db14, ... and 5 more',
    '10 DowntimeAdded events: db20, db21, db22, db23, db24, ... and 5 more',
  ]);
  noise.submit('irc:#ops', stateChange('web02', 'DOWN'));
  t.equal(texts().at(-1), 'DOWN web02', 'after a quiet window the next alert goes out at once again');
});

t.test('a kind that reaches group_from mid-window is grouped where its first message stood; kinds below it keep their own lines', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  // In the window: two WARNINGs (below group_from), then PROBLEM notifications (past it), interleaved.
  noise.submit('irc:#ops', notification('db01!disk', 'PROBLEM', 'CRITICAL'));
  noise.submit('irc:#ops', stateChange('web02!load', 'WARNING'));
  noise.submit('irc:#ops', notification('db01!load', 'PROBLEM', 'CRITICAL'));
  noise.submit('irc:#ops', stateChange('web03!load', 'WARNING', { text: 'WARNING web03!load: its own words' }));
  for (const service of ['swap', 'ntp', 'mysql']) noise.submit('irc:#ops', notification(`db01!${service}`, 'PROBLEM', 'CRITICAL'));
  clock.advance(DEFAULT_NOISE.storm.windowMs);
  t.same(texts(), [
    'CRITICAL web01!http',
    'db01: 5 services CRITICAL: disk, load, swap, ntp, mysql',
    'WARNING web02!load',
    'WARNING web03!load: its own words',
  ]);
  t.equal(counted(texts()), 8, 'every event counted once');
});

t.test('a host with one service among grouped ones gets that message, its own words and all', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  for (const service of ['disk', 'load', 'swap', 'ntp']) noise.submit('irc:#ops', stateChange(`db01!${service}`, 'CRITICAL'));
  noise.submit('irc:#ops', stateChange('db02!mysql', 'CRITICAL', { text: 'CRITICAL db02!mysql: too many connections' }));
  noise.submit('irc:#ops', stateChange('db03', 'DOWN'));
  for (const host of ['db04', 'db05', 'db06']) noise.submit('irc:#ops', stateChange(host, 'DOWN'));
  clock.advance(DEFAULT_NOISE.storm.windowMs);
  t.same(texts(), [
    'CRITICAL web01!http',
    'db01: 4 services CRITICAL: disk, load, swap, ntp',
    'CRITICAL db02!mysql: too many connections',
    '4 hosts DOWN: db03, db04, db05, db06',
  ]);
});

t.test('a shutdown without flush counts what waited in the window, grouped kinds included', async (t) => {
  const { noise, texts, logger } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  for (const service of ['disk', 'load', 'swap']) noise.submit('irc:#ops', stateChange(`db01!${service}`, 'CRITICAL'));
  for (const host of ['db04', 'db05', 'db06', 'db07']) noise.submit('irc:#ops', stateChange(host, 'DOWN'));
  noise.submit('irc:#ops', stateChange('db02!mysql', 'WARNING'));
  noise.submit('irc:#ops', notification('db03!ntp', 'CUSTOM', 'OK'));
  noise.close();
  t.same(texts(), ['CRITICAL web01!http']);
  const warning = logger.lines.find((line) => line.includes('stopped with events not sent'));
  t.match(warning, /destination=irc:#ops count=9 events="4 DOWN, 3 CRITICAL, 1 WARNING, 1 OK"/);
});

t.test('a summary names the objects it lists in its text (for problems), not those it only counts', async (t) => {
  const { noise, sent, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  for (const service of ['disk', 'load', 'swap', 'ntp', 'mysql', 'dns', 'smtp']) noise.submit('irc:#ops', stateChange(`db01!${service}`, 'CRITICAL'));
  for (let i = 1; i <= 12; i++) noise.submit('irc:#ops', stateChange(`host${i}`, 'DOWN'));
  clock.advance(5_000);
  const summaries = sent.filter(({ message }) => message.objects !== undefined).map(({ message }) => [message.text, message.objects]);
  t.same(summaries, [
    ['db01: 7 services CRITICAL: disk, load, swap, ntp, mysql, ... and 2 more', ['db01!disk', 'db01!load', 'db01!swap', 'db01!ntp', 'db01!mysql']],
    ['12 hosts DOWN: host1, host2, host3, host4, host5, ... and 7 more', ['host1', 'host2', 'host3', 'host4', 'host5']],
  ]);
  t.equal(sent[0].message.objects, undefined, 'a single message names its own object');

  const across = noiseWith();
  across.noise.submit('irc:#ops', stateChange('first', 'DOWN'));
  for (let host = 1; host <= 4; host++) for (const service of host === 1 ? ['a'] : ['a', 'b']) across.noise.submit('irc:#ops', stateChange(`h${host}!${service}`, 'CRITICAL'));
  across.clock.advance(5_000);
  const line = across.sent.at(-1)!.message;
  t.match(line.text, /services CRITICAL on 4 hosts: h2 \(2\), h3 \(2\), h4 \(2\), h1!a/);
  t.same(line.objects, ['h1!a'], 'a host count is no object');

  const narrow = noiseWith();
  narrow.noise.submit('irc:#ops', stateChange('x', 'DOWN'));
  const long = 'a'.repeat(150);
  for (let i = 1; i <= 4; i++) narrow.noise.submit('irc:#ops', stateChange(`${long}${i}`, 'DOWN'));
  narrow.clock.advance(5_000);
  const cut = narrow.sent.at(-1)!.message;
  t.ok(cut.objects!.length < 4 && cut.objects!.every((object) => cut.text.includes(object)), 'names cut off by the width are not named');
});
