/**
 * Durations as people write them in the config file and in chat commands (`ack web01 for 2h`,
 * `downtime web01 1d12h`): whole numbers with a unit, largest unit first, each unit at most once.
 * No spaces, not even between parts: chat commands split their arguments on whitespace, so a
 * duration has to be one word. Units are lower case only, because `M` could mean months.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

type Unit = keyof typeof UNIT_MS;

/** Largest first: the order parts must come in, and the order formatDuration writes them in. */
const UNITS = Object.keys(UNIT_MS) as Unit[];

/** How to write a duration; ends every parse error, so a chat user sees how to fix the command. */
export const DURATION_FORMS = 'use a whole number and a unit (s, m, h, d, w), largest unit first, e.g. 90s, 30m, 2h, 1d12h, 2w3d';

function isUnit(text: string): text is Unit {
  return Object.hasOwn(UNIT_MS, text);
}

/** A rejected duration: `reason` says what is wrong with `input`, without the how-to. */
export class DurationError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(input)} is not a duration (${reason}): ${DURATION_FORMS}`);
    this.name = 'DurationError';
  }
}

/** Why the text at `offset` cannot start a part: the most specific hint we can give. */
function unexpectedText(text: string, offset: number): string {
  const rest = text.slice(offset);
  if (rest === '') return 'it is empty';
  if (offset === 0 && rest.startsWith('-')) return 'it cannot be negative';
  if (/^\s/.test(rest)) return 'no spaces allowed';
  if (/^[.,]\d/.test(rest)) return 'whole numbers only';
  if (/^[a-z]/i.test(rest)) return `"${rest[0]}" needs a number before it`;
  return `unexpected "${rest[0]}"`;
}

/** Parses `90s`, `30m`, `2h`, `1d12h`, `2w3d`, ... into milliseconds; throws DurationError otherwise. */
export function parseDuration(text: string): number {
  const part = /(\d+)([a-z]*)/iy;
  let offset = 0;
  let total = 0;
  let previousRank = -1;
  do {
    part.lastIndex = offset;
    const match = part.exec(text);
    if (!match) throw new DurationError(text, unexpectedText(text, offset));
    const [whole, digits, unit] = match;
    if (unit === '') {
      const next = text.slice(offset + whole.length);
      throw new DurationError(text, next === '' ? `${digits} needs a unit` : unexpectedText(text, offset + whole.length));
    }
    if (!isUnit(unit)) throw new DurationError(text, `unknown unit "${unit}"`);
    const rank = UNITS.indexOf(unit);
    if (rank <= previousRank) throw new DurationError(text, 'each unit at most once, largest first');
    previousRank = rank;
    total += Number(digits) * UNIT_MS[unit];
    offset += whole.length;
  } while (offset < text.length);
  if (!Number.isSafeInteger(total)) throw new DurationError(text, 'far too long');
  if (total === 0) throw new DurationError(text, 'it must be longer than zero');
  return total;
}

/** The compact form parseDuration reads back, to the nearest second: 129600000 gives `1d12h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} as a duration`);
  let rest = Math.round(ms / 1_000) * 1_000;
  let text = '';
  for (const unit of UNITS) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text || '0s';
}

/** "2 min 13 s", "1 h 5 min", "40 s": the two largest units, short enough for a summary line. */
export function formatGap(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'min'],
    [seconds % 60, 's'],
  ];
  const first = units.findIndex(([value]) => value > 0);
  if (first === -1) return '0 s';
  return units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}
