import t from 'tap';
import { DURATION_FORMS, DurationError, formatDuration, parseDuration } from '../src/duration.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

t.test('parseDuration reads single units and combinations, largest first', async (t) => {
  const cases: [string, number][] = [
    ['90s', 90 * SECOND],
    ['30m', 30 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', DAY],
    ['1w', WEEK],
    ['1d12h', DAY + 12 * HOUR],
    ['1h30m', HOUR + 30 * MINUTE],
    ['2w3d', 2 * WEEK + 3 * DAY],
    ['1w2d3h4m5s', WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5 * SECOND],
    ['1h0m', HOUR],
    ['90m', 90 * MINUTE],
    ['007s', 7 * SECOND],
  ];
  for (const [text, ms] of cases) t.equal(parseDuration(text), ms, text);
});

t.test('parseDuration rejects bad input, saying why and how to write one', async (t) => {
  const cases: [string, string][] = [
    ['', 'it is empty'],
    ['5 minutes', 'no spaces allowed'],
    ['1h 30m', 'no spaces allowed'],
    ['1x', 'unknown unit "x"'],
    ['5min', 'unknown unit "min"'],
    ['2H', 'unknown unit "H"'],
    ['-1h', 'it cannot be negative'],
    ['1h1h', 'each unit at most once, largest first'],
    ['30m1h', 'each unit at most once, largest first'],
    ['0', '0 needs a unit'],
    ['90', '90 needs a unit'],
    ['1h30', '30 needs a unit'],
    ['1.5h', 'whole numbers only'],
    ['h', '"h" needs a number before it'],
    ['1h!', 'unexpected "!"'],
    ['1h-5m', 'unexpected "-"'],
    ['0s', 'it must be longer than zero'],
    ['0h0m', 'it must be longer than zero'],
    ['99999999999w', 'far too long'],
  ];
  for (const [text, reason] of cases) {
    t.throws(
      () => parseDuration(text),
      { name: 'DurationError', input: text, reason, message: `${JSON.stringify(text)} is not a duration (${reason}): ${DURATION_FORMS}` },
      JSON.stringify(text),
    );
  }
});

t.test('the error message is complete enough for a chat reply', async (t) => {
  const error = t.throws(() => parseDuration('5 minutes'));
  t.ok(error instanceof DurationError);
  t.equal(
    (error as Error).message,
    '"5 minutes" is not a duration (no spaces allowed): use a whole number and a unit (s, m, h, d, w), largest unit first, e.g. 90s, 30m, 2h, 1d12h, 2w3d',
  );
});

t.test('formatDuration writes the compact form back', async (t) => {
  const cases: [number, string][] = [
    [DAY + 12 * HOUR, '1d12h'],
    [90 * SECOND, '1m30s'],
    [2 * WEEK + 3 * DAY, '2w3d'],
    [HOUR + 5 * SECOND, '1h5s'],
    [0, '0s'],
    [1_499, '1s'],
    [400, '0s'],
  ];
  for (const [ms, text] of cases) t.equal(formatDuration(ms), text, String(ms));
});

t.test('formatDuration and parseDuration round-trip', async (t) => {
  for (const text of ['90s', '30m', '2h', '1d12h', '2w3d', '1w2d3h4m5s']) {
    t.equal(parseDuration(formatDuration(parseDuration(text))), parseDuration(text), text);
  }
});

t.test('formatDuration refuses what is not a duration', async (t) => {
  t.throws(() => formatDuration(-1), new RangeError('cannot format -1 as a duration'));
  t.throws(() => formatDuration(Number.NaN), new RangeError('cannot format NaN as a duration'));
});
