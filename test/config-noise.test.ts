import { join } from 'node:path';
import t from 'tap';
import { ConfigError, DEFAULT_NOISE, parseConfig } from '../src/config/index.js';

const ICINGA = 'icinga:\n  url: https://icinga.example.org:5665\n  username: relay\n  password: secret\n';

function parse(extra: string, path?: string) {
  return parseConfig(ICINGA + extra, { env: {}, path }).config;
}

function problems(extra: string): string[] {
  try {
    parse(extra);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  return [];
}

t.test('without the section the relay applies DEFAULT_NOISE; an empty section is every default', async (t) => {
  t.equal(parse('').noise, undefined);
  t.same(parse('noise:\n').noise, DEFAULT_NOISE);
  t.same(parse('noise: { dedup: {}, storm: {} }\n').noise, DEFAULT_NOISE);
});

t.test('every key can be set; the state file is relative to the config file', async (t) => {
  const dir = t.testdir({ state: {} });
  const config = parse(
    [
      'noise:',
      '  dedup: { window: 2m, types: [Notification, Notification], keep: notification, hold: 3s }',
      '  storm: { window: 2s, group_from: 5, names: 8, host_lines: 2 }',
      '  rate: { burst: 3, per_second: 0.5 }',
      '  queue_size: 50',
      '  mute_for: 30m',
      '  state_file: state/mutes.json',
    ].join('\n'),
    join(dir, 'relay.yml'),
  );
  t.same(config.noise, {
    dedup: { windowMs: 120_000, types: ['Notification'], keep: 'notification', holdMs: 3_000 },
    storm: { windowMs: 2_000, groupFrom: 5, names: 8, hostLines: 2 },
    rate: { burst: 3, perSecond: 0.5 },
    queueSize: 50,
    muteForMs: 1_800_000,
    stateFile: join(dir, 'state', 'mutes.json'),
  });
});

t.test('errors name the key path', async (t) => {
  t.same(
    problems(
      [
        'noise:',
        '  dedup: { window: soon, types: [CheckResult], keep: last }',
        '  storm: { group_from: 1, nmes: 3 }',
        '  rate: { burst: 0 }',
        '  queue_size: many',
        '  state_file: /nonexistent/dir/mutes.json',
        '  muting: true',
      ].join('\n'),
    ),
    [
      'noise.dedup.window: expected a duration such as 90s, 30m, 2h or 1d12h but found "soon" ("s" needs a number before it)',
      'noise.dedup.types[0]: expected one of StateChange, Notification, Flapping but found "CheckResult"',
      'noise.dedup.keep: expected one of first, notification but found "last"',
      'noise.storm.group_from: expected a whole number of messages from 2 to 1000 but found 1',
      'noise.storm.nmes: unknown key, did you mean names? (allowed: window, group_from, names, host_lines)',
      'noise.rate.burst: expected a whole number of messages, at least 1 but found 0',
      'noise.queue_size: expected a whole number of messages from 1 to 10000 but found "many"',
      'noise.state_file: cannot write /nonexistent/dir/mutes.json (ENOENT: no such file or directory)',
      'noise.muting: unknown key (allowed: dedup, storm, rate, queue_size, mute_for, state_file)',
    ],
  );
});
