import t from 'tap';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../../src/icinga/ndjson.js';
import { seededRandom } from '../helpers/seeded-random.js';

type Output = { line: string } | { overlong: number };

function split(chunks: (string | Buffer)[], maxLineBytes?: number): Output[] {
  const output: Output[] = [];
  const splitter = new LineSplitter({
    maxLineBytes,
    onLine: (line) => output.push({ line }),
    onOverlong: (bytes) => output.push({ overlong: bytes }),
  });
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return output;
}

t.test('an empty stream gives nothing', async (t) => {
  t.same(split([]), []);
  t.same(split([Buffer.alloc(0)]), []);
});

t.test('lines inside one chunk', async (t) => {
  t.same(split(['{"a":1}\n{"b":2}\n']), [{ line: '{"a":1}' }, { line: '{"b":2}' }]);
});

t.test('lines split across chunks, including at the newline', async (t) => {
  t.same(split(['{"a"', ':1}', '\n{"b":2', '}\n', '{"c":3}', '\n']), [{ line: '{"a":1}' }, { line: '{"b":2}' }, { line: '{"c":3}' }]);
  // A single-byte chunk per byte: the slowest possible arrival.
  const text = 'first\nsecond line\n';
  t.same(
    split([...Buffer.from(text)].map((byte) => Buffer.from([byte]))),
    [{ line: 'first' }, { line: 'second line' }],
  );
});

t.test('a multi-byte UTF-8 character split across chunks is decoded whole', async (t) => {
  const bytes = Buffer.from('{"output":"Temperatur 40 °C – ✓ 🔥"}\n');
  const emoji = bytes.indexOf(Buffer.from('🔥'));
  // Cut inside the four bytes of the emoji and inside the two bytes of the degree sign.
  const degree = bytes.indexOf(Buffer.from('°'));
  const chunks = [bytes.subarray(0, degree + 1), bytes.subarray(degree + 1, emoji + 2), bytes.subarray(emoji + 2)];
  t.same(split(chunks), [{ line: '{"output":"Temperatur 40 °C – ✓ 🔥"}' }]);
});

t.test('\\r\\n line endings are stripped, also when \\r and \\n arrive in different chunks', async (t) => {
  t.same(split(['one\r\ntwo\r', '\nthree\r\n']), [{ line: 'one' }, { line: 'two' }, { line: 'three' }]);
  // A \r inside a line is content, not a line ending.
  t.same(split(['a\rb\n']), [{ line: 'a\rb' }]);
});

t.test('empty lines are ignored', async (t) => {
  t.same(split(['\n\n{"a":1}\n\r\n\n', '\n', '{"b":2}\n']), [{ line: '{"a":1}' }, { line: '{"b":2}' }]);
});

t.test('a final line without a newline is delivered by end()', async (t) => {
  t.same(split(['{"a":1}\n{"b"', ':2}']), [{ line: '{"a":1}' }, { line: '{"b":2}' }]);
  t.same(split(['last\r']), [{ line: 'last' }]);
});

t.test('garbage passes through as lines: judging them is the caller\'s job', async (t) => {
  t.same(split(['not json\n', Buffer.from([0xff, 0xfe, 0x0a])]), [{ line: 'not json' }, { line: '\ufffd\ufffd' }]);
});

t.test('an over-long line is dropped, reported with its length, and good lines around it survive', async (t) => {
  const long = 'x'.repeat(25);
  t.same(split([`ok1\n${long.slice(0, 7)}`, long.slice(7, 20), `${long.slice(20)}\nok2\n`], 10), [
    { line: 'ok1' },
    { overlong: 25 },
    { line: 'ok2' },
  ]);
  // Over the limit inside one chunk, with \r\n: the \r does not count.
  t.same(split([`${long}\r\nok\n`], 10), [{ overlong: 25 }, { line: 'ok' }]);
  // Over the limit while buffering, the \r\n split across chunks.
  t.same(split([long.slice(0, 12), `${long.slice(12)}\r`, '\nok\n'], 10), [{ overlong: 25 }, { line: 'ok' }]);
  // The newline right at the start of the next chunk.
  t.same(split([long, '\nok\n'], 10), [{ overlong: 25 }, { line: 'ok' }]);
  // Over the limit and never terminated.
  t.same(split(['ok\n', long.slice(0, 15), long.slice(15)], 10), [{ line: 'ok' }, { overlong: 25 }]);
  t.same(split([long.slice(0, 15), `${long.slice(15)}\r`], 10), [{ overlong: 25 }]);
});

t.test('the limit is inclusive and counts bytes, not characters', async (t) => {
  t.same(split(['0123456789\n', '0123456789\r', '\n', '0123456789', '\r\n'], 10), [
    { line: '0123456789' },
    { line: '0123456789' },
    { line: '0123456789' },
  ]);
  t.same(split(['ääääää\n'], 10), [{ overlong: 12 }]);
  t.same(split(['01234567', '89a\n'], 10), [{ overlong: 11 }]);
});

t.test('an over-long line is not kept in memory while it arrives', async (t) => {
  let overlong = 0;
  const splitter = new LineSplitter({ maxLineBytes: 1024, onLine: () => t.fail('no line expected'), onOverlong: (bytes) => (overlong = bytes) });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let i = 0; i < 160; i++) splitter.push(chunk);
  // 10 MiB pushed: only the length is counted, nothing is held.
  t.same((splitter as unknown as { pending: Buffer[] }).pending, []);
  splitter.push(Buffer.from('\n'));
  t.equal(overlong, 160 * 64 * 1024);
});

t.test('default limit and option validation', async (t) => {
  t.equal(DEFAULT_MAX_LINE_BYTES, 8 * 1024 * 1024);
  const big = 'y'.repeat(2_000_630);
  t.same(split([big.slice(0, 1_000_000), `${big.slice(1_000_000)}\n`]), [{ line: big }], 'a 2 MB line as measured from Icinga2 passes');
  t.throws(() => new LineSplitter({ maxLineBytes: 0, onLine: () => {}, onOverlong: () => {} }), /positive integer/);
});

/** What the splitter must give, worked out on the whole stream at once. */
function expectedLines(stream: Buffer, maxLineBytes: number): Output[] {
  const output: Output[] = [];
  for (let start = 0; start < stream.length; ) {
    const newline = stream.indexOf(0x0a, start);
    const lineBreak = newline === -1 ? stream.length : newline;
    const end = lineBreak > start && stream[lineBreak - 1] === 0x0d ? lineBreak - 1 : lineBreak;
    if (end - start > maxLineBytes) output.push({ overlong: end - start });
    else if (end > start) output.push({ line: stream.toString('utf8', start, end) });
    start = lineBreak + 1;
  }
  return output;
}

t.test('any stream cut anywhere gives the lines of the whole stream', async (t) => {
  // Multi-byte characters, invalid UTF-8, \r in and at the end of lines, empty and over-long lines.
  const pieces = ['{"a":1}', 'ä', '🔥', '\n', '\r\n', '\r', 'x'.repeat(9), '\n\n', Buffer.from([0xe2, 0x82]), Buffer.from([0xff]), Buffer.from([0xf0, 0x9f])];
  const next = seededRandom(0x2f6b1d3);
  const differences: string[] = [];
  for (let round = 0; round < 3000; round++) {
    const stream = Buffer.concat(
      Array.from({ length: Math.floor(next() * 40) }, () => {
        const piece = pieces[Math.floor(next() * pieces.length)];
        return typeof piece === 'string' ? Buffer.from(piece) : piece;
      }),
    );
    const chunks: Buffer[] = [];
    for (let start = 0; start < stream.length; ) {
      const end = Math.min(stream.length, start + 1 + Math.floor(next() * 30));
      chunks.push(stream.subarray(start, end));
      start = end;
    }
    for (const maxLineBytes of [12, 1000]) {
      const actual = split(chunks, maxLineBytes);
      const expected = expectedLines(stream, maxLineBytes);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) differences.push(`${JSON.stringify(stream.toString('latin1'))} max ${maxLineBytes}`);
    }
  }
  t.same(differences.slice(0, 5), []);
});
