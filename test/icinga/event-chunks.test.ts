import { readFileSync } from 'node:fs';
import t from 'tap';
import { EventChunkParser } from '../../src/icinga/event-chunks.js';

function parser(maxLineBytes?: number) {
  const problems: { line: string; problem: string }[] = [];
  const overlong: number[] = [];
  const parse = new EventChunkParser({ maxLineBytes, onMalformed: (line, problem) => problems.push({ line, problem }), onOverlong: (bytes) => overlong.push(bytes) });
  return { parse, problems, overlong };
}

t.test('each chunk gives the events of the lines it completes, in order', async (t) => {
  const { parse } = parser();
  t.same(parse.push(Buffer.from('{"type":"A"}\n{"type":"B"}\n{"ty')), [{ type: 'A' }, { type: 'B' }]);
  t.same(parse.push(Buffer.from('pe":"C"')), [], 'a chunk that completes no line gives none');
  t.same(parse.push(Buffer.from('}\n{"type":"D"}\n')), [{ type: 'C' }, { type: 'D' }], 'the line the last chunk began comes first');
  t.same(parse.end(), []);
});

t.test('a last line without a newline comes from end()', async (t) => {
  const { parse } = parser();
  t.same(parse.push(Buffer.from('{"type":"A"}\n{"type":"B"}')), [{ type: 'A' }]);
  t.same(parse.end(), [{ type: 'B' }]);
});

t.test('malformed and over-long lines are reported and skipped; the events around them come through', async (t) => {
  const { parse, problems, overlong } = parser(20);
  const events = parse.push(Buffer.from(`{"type":"A"}\nnot json\n{"state":2}\n{"type":"${'x'.repeat(30)}"}\n{"type":"B"}\n`));
  t.same(events, [{ type: 'A' }, { type: 'B' }]);
  t.same(problems, [
    { line: 'not json', problem: 'not valid JSON' },
    { line: '{"state":2}', problem: 'not an Icinga2 event (no "type")' },
  ]);
  t.same(overlong, [41]);
});

t.test('the recorded stream, cut into chunks anywhere, gives every event whole and in order', async (t) => {
  const bytes = readFileSync('fixtures/stream.ndjson');
  const expected = bytes.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
  for (const size of [1, 7, 333, 4096, bytes.length]) {
    const { parse, problems } = parser();
    const events: unknown[] = [];
    for (let offset = 0; offset < bytes.length; offset += size) events.push(...parse.push(bytes.subarray(offset, offset + size)));
    events.push(...parse.end());
    t.same(events, expected, `chunks of ${size} bytes`);
    t.same(problems, []);
  }
});
