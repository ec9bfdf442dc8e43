import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NOISE } from '../../src/config/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { noiseWith, stateChange } from '../helpers/noise.js';

const HOUR = 3_600_000;

t.test('a mute silences matching objects in its destination only, until it expires', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.mutes.add({ destination: 'irc:#ops', pattern: 'web*', until: clock.now() + HOUR, author: 'alice' });
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  noise.submit('irc:#noc', stateChange('web01!http', 'CRITICAL'));
  clock.advance(2_000);
  noise.submit('irc:#ops', stateChange('db01!disk', 'CRITICAL'));
  t.same(texts('irc:#ops'), ['CRITICAL db01!disk']);
  t.same(texts('irc:#noc'), ['CRITICAL web01!http']);
  clock.advance(HOUR);
  noise.submit('irc:#ops', stateChange('web02!http', 'CRITICAL'));
  t.same(texts('irc:#ops'), ['CRITICAL db01!disk', 'CRITICAL web02!http'], 'expired');
  t.same(noise.mutes.list('irc:#ops'), []);
});

t.test('a word without wildcards matches the host and its services, like problems', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.mutes.add({ destination: 'irc:#ops', pattern: 'db01', until: clock.now() + HOUR, author: 'alice' });
  noise.submit('irc:#ops', stateChange('db01', 'DOWN'));
  noise.submit('irc:#ops', stateChange('db01!disk', 'CRITICAL'));
  noise.mutes.add({ destination: 'irc:#ops', pattern: '*!disk', until: clock.now() + HOUR, author: 'alice' });
  noise.submit('irc:#ops', stateChange('web01!disk', 'CRITICAL'));
  t.same(texts(), []);
});

t.test('the recovery of a problem reported before the mute is reported; one whose problem was muted is not', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(2_000);
  noise.mutes.add({ destination: 'irc:#ops', pattern: 'web*', until: clock.now() + HOUR, author: 'alice' });
  noise.submit('irc:#ops', stateChange('web02!http', 'CRITICAL'));
  clock.advance(2_000);
  noise.submit('irc:#ops', stateChange('web01!http', 'OK'));
  clock.advance(2_000);
  noise.submit('irc:#ops', stateChange('web02!http', 'OK'));
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(2_000);
  noise.submit('irc:#ops', stateChange('web01!http', 'OK'));
  t.same(texts(), ['CRITICAL web01!http', 'OK web01!http']);
});

t.test('mutes persist across a restart through the state file, written atomically, and expire there too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'noise-'));
  const stateFile = join(dir, 'mutes.json');
  const clock = new FakeClock();
  const first = noiseWith({ stateFile }, clock);
  t.equal(first.noise.mutes.add({ destination: 'irc:#ops', pattern: 'web*', until: clock.now() + HOUR, author: 'alice' }), true);
  first.noise.mutes.add({ destination: 'irc:#ops', pattern: 'db*', until: clock.now() + 2 * HOUR, author: 'bob' });
  t.same(first.noise.mutes.remove('irc:#ops', 'db*'), { saved: true });
  t.equal(first.noise.mutes.remove('irc:#ops', 'db*'), undefined);
  first.noise.close();
  t.same(readdirSync(dir), ['mutes.json'], 'no temporary file left');
  t.same(JSON.parse(readFileSync(stateFile, 'utf8')), { version: 1, mutes: [{ destination: 'irc:#ops', pattern: 'web*', until: clock.now() + HOUR, author: 'alice' }] });

  const second = noiseWith({ stateFile }, clock);
  t.same(second.noise.mutes.list('irc:#ops').map((mute) => mute.pattern), ['web*']);
  second.noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  t.same(second.texts(), []);
  clock.advance(HOUR);
  const third = noiseWith({ stateFile }, clock);
  t.same(third.noise.mutes.list('irc:#ops'), [], 'expired while the relay was down');
});

t.test('the recovery of a problem shown before the mute still comes through after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-mutes-'));
  const stateFile = join(dir, 'mutes.json');
  const clock = new FakeClock();
  const before = noiseWith({ stateFile }, clock);
  before.noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(2_000);
  before.noise.mutes.add({ destination: 'irc:#ops', pattern: 'web*', until: clock.now() + HOUR, author: 'alice' });
  t.same(JSON.parse(readFileSync(stateFile, 'utf8')).mutes[0].shownProblems, ['web01!http'], 'saved with the mute');
  before.noise.close();

  const after = noiseWith({ stateFile }, clock);
  after.noise.submit('irc:#ops', stateChange('web02!http', 'OK'));
  after.noise.submit('irc:#ops', stateChange('web01!http', 'OK'));
  clock.advance(2_000);
  after.noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(2_000);
  after.noise.submit('irc:#ops', stateChange('web01!http', 'OK'));
  t.same(after.texts(), ['OK web01!http'], 'only the recovery of the problem shown before the mute, and only once');
  t.same(JSON.parse(readFileSync(stateFile, 'utf8')).mutes[0].shownProblems, undefined, 'forgotten once it passed');
});

t.test('a state file that cannot be read or written is logged, and the relay goes on without it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'noise-'));
  const malformed = join(dir, 'mutes.json');
  writeFileSync(malformed, '{"version": 1, "mutes": [{"pattern": 3}]}');
  const broken = noiseWith({ stateFile: malformed });
  t.same(broken.noise.mutes.list('irc:#ops'), []);
  t.match(broken.logger.lines.join('\n'), /the mutes state file is malformed; starting without mutes/);

  const unwritable = noiseWith({ stateFile: join(dir, 'missing', 'mutes.json') });
  t.equal(unwritable.noise.mutes.add({ destination: 'irc:#ops', pattern: 'web*', until: unwritable.clock.now() + HOUR, author: 'alice' }), false);
  t.match(unwritable.logger.lines.join('\n'), /cannot save the mutes; they last until the relay stops/);
  t.equal(unwritable.noise.mutes.list('irc:#ops').length, 1, 'the mute works all the same');

  const directory = noiseWith({ stateFile: dir });
  t.match(directory.logger.lines.join('\n'), /cannot read the mutes state file; starting without mutes/);
  t.equal(DEFAULT_NOISE.stateFile, undefined, 'in memory by default');
});

t.test('a storm summary leaves out muted objects: mutes apply before grouping', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.mutes.add({ destination: 'irc:#ops', pattern: 'web01', until: clock.now() + HOUR, author: 'alice' });
  noise.submit('irc:#ops', stateChange('db01!disk', 'CRITICAL'));
  for (const object of ['db01!load', 'web01!http', 'db01!swap', 'web01!disk', 'db01!ntp']) noise.submit('irc:#ops', stateChange(object, 'CRITICAL'));
  clock.advance(2_000);
  t.same(texts(), ['CRITICAL db01!disk', 'db01: 3 services CRITICAL: load, swap, ntp']);
});
