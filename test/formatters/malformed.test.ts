import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import type { IcingaEvent } from '../../src/icinga/event-types.js';
import { FORMATTERS } from '../../formatters/index.js';
import { formatGeneric } from '../../formatters/generic.js';
import type { Formatter } from '../../formatters/types.js';
import { lineProblems } from './line-checks.js';

// Formatters must never throw: every real event shape, with each field in turn removed or
// replaced by a value of the wrong kind, must still give one clean line.
const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  Number.NaN,
  '',
  ' \r\n\t ',
  'web\r\nPRIVMSG #ops :pwned\x00\x07',
  ' spaced  out ',
  '🔥'.repeat(300),
  true,
  [],
  [1, 'a', null],
  {},
  { nested: { deeper: 1 } },
];

// The events recorded from Icinga2 2.13 and from 2.14.
const fixtures = ['../../fixtures/events/', '../../fixtures/icinga2-2.14/events/'].flatMap((path) => {
  const fixtureDir = new URL(path, import.meta.url);
  return readdirSync(fixtureDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ name: `${path.includes('2.14') ? '2.14/' : ''}${file}`, event: JSON.parse(readFileSync(new URL(file, fixtureDir), 'utf8')) as IcingaEvent }));
});

type Json = Record<string, unknown>;

/** The event with the value at `path` removed (undefined) or replaced. */
function mutated(event: IcingaEvent, path: string[], value: unknown): IcingaEvent {
  const copy = structuredClone(event) as Json;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Json;
  const last = path[path.length - 1]!;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy as IcingaEvent;
}

/** Every field path one and two levels deep, except `type`, which the parser guarantees. */
function fieldPaths(event: IcingaEvent): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    paths.push([key]);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const inner of Object.keys(value)) paths.push([key, inner]);
    }
  }
  return paths;
}

/** What goes wrong formatting this event at a few widths, as readable strings. */
function failures(formatter: Formatter, event: IcingaEvent, label: string): string[] {
  const found: string[] = [];
  for (const width of [120, 30, 3]) {
    try {
      const message = formatter(event, { width, previousStateSince: 1795440000 });
      found.push(...lineProblems(message, width).map((problem) => `${label} at width ${width}: ${problem}`));
    } catch (error) {
      found.push(`${label} at width ${width} threw ${String(error)}`);
    }
  }
  return found;
}

t.test('every formatter survives every field of its real events gone or odd', async (t) => {
  for (const { name, event } of fixtures) {
    const formatter = FORMATTERS[event.type as keyof typeof FORMATTERS];
    const found: string[] = [];
    for (const path of fieldPaths(event)) {
      for (const value of [undefined, ...ODD_VALUES]) {
        found.push(...failures(formatter, mutated(event, path, value), `${path.join('.')} = ${String(value).slice(0, 20)}`));
      }
    }
    t.same(found, [], name);
  }
});

t.test('every formatter survives an event with nothing but its type, or odd top-level values', async (t) => {
  for (const [type, formatter] of [...Object.entries(FORMATTERS), ['FooBar', formatGeneric] as const]) {
    const found = failures(formatter, { type }, 'type only');
    const keys = ['host', 'service', 'state', 'state_type', 'check_result', 'comment', 'downtime', 'users', 'timestamp'];
    for (const value of ODD_VALUES) {
      const event = Object.fromEntries([['type', type], ...keys.map((key) => [key, value])]) as IcingaEvent;
      found.push(...failures(formatter, event, `all fields ${String(value).slice(0, 20)}`));
    }
    t.same(found, [], type);
  }
});

t.test('names full of control characters cannot break the line', async (t) => {
  const evil = 'db01\r\nQUIT :bye\x01ACTION\x01';
  const event = {
    type: 'StateChange',
    host: evil,
    service: evil,
    state: 2,
    check_result: { output: `${evil}\n${evil}` },
  };
  const message = FORMATTERS.StateChange(event, { width: 200 });
  t.same(lineProblems(message, 200), []);
  t.equal(message.host, 'db01 / QUIT :bye ACTION');
  t.notMatch(message.text, /[\r\n]/);
});
