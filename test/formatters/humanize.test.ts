import t from 'tap';
import humanizeDuration from 'humanize-duration';
import { humanizeMilliseconds } from '../../formatters/humanize.js';
import { seededRandom } from '../helpers/seeded-random.js';

// The reference the formatters' own humanizer replaces: its output is what users have seen.
const reference = humanizeDuration.humanizer({ largest: 2, round: true });

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 2_629_800_000;
const YEAR = 31_557_600_000;

/** Every unit boundary and the rounding edges around it, where carrying happens. */
function edgeCases(): number[] {
  const cases = [0, -0, 1, 499, 500, 501, 999, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];
  for (const unit of [SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, YEAR]) {
    for (const count of [1, 2, 3, 6, 11, 12, 23, 24, 29, 30, 59, 60, 100]) {
      const base = unit * count;
      cases.push(base, -base, base - 1, base + 1, base - SECOND / 2, base + SECOND / 2, base - 0.5, base + 0.5);
      for (const smaller of [SECOND, MINUTE, HOUR, DAY, WEEK, MONTH]) {
        if (smaller >= unit) continue;
        cases.push(base + smaller / 2, base - smaller / 2, base + smaller * 1.5, base + unit - smaller / 2, base + unit - 1);
      }
    }
  }
  return cases;
}

/** Deterministic, spread over every magnitude from milliseconds to centuries, with fractions. */
function spreadCases(count: number): number[] {
  const next = seededRandom(0x2545f491);
  return Array.from({ length: count }, () => 10 ** (next() * 13) * (next() < 0.3 ? 1 : 1 + next()));
}

t.test('humanizeMilliseconds says exactly what humanize-duration says with largest 2 and rounding', async (t) => {
  const differences: string[] = [];
  for (const ms of [...edgeCases(), ...spreadCases(100_000)]) {
    const expected = reference(ms);
    const actual = humanizeMilliseconds(ms);
    if (actual !== expected) differences.push(`${ms}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  t.same(differences.slice(0, 20), []);
});

t.test('humanizeMilliseconds names the two largest units, rounding the second', async (t) => {
  t.equal(humanizeMilliseconds(2 * DAY + HOUR + 29 * MINUTE), '2 days, 1 hour');
  t.equal(humanizeMilliseconds(6 * DAY + 23.99 * HOUR), '1 week', 'rounding carries into larger units');
  t.equal(humanizeMilliseconds(SECOND), '1 second');
  t.equal(humanizeMilliseconds(400), '0 seconds');
  t.equal(humanizeMilliseconds(-90 * SECOND), '1 minute, 30 seconds', 'the absolute value');
});
