/**
 * `npm run bench`: prints a table of the relay's measured figures; `-- --json` adds them as one
 * JSON object on the last line; `-- --quick` is the few-second smoke run the tests use. Never
 * fails on a number: these machines are shared and noisy, so figures are medians and
 * comparisons are ratios taken in the same run.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchmarkPipeline } from './pipeline.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, quick: { type: 'boolean' } } });
const quick = values.quick ?? false;

interface Row {
  figure: string;
  value: string;
  how: string;
}
const rows: Row[] = [];
const figures: Record<string, number> = {};
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

const pipeline = benchmarkPipeline({ minLines: quick ? 20_000 : 1_000_000, runs: quick ? 1 : 5 });
figures.pipeline_events_per_s = round(pipeline.fullPerS);
figures.pipeline_vs_json_parse = round(pipeline.fullPerS / pipeline.jsonParsePerS, 2);
figures.json_parse_events_per_s = round(pipeline.jsonParsePerS);
const lineNote = `${pipeline.lines} lines of the recorded mix (avg ${pipeline.averageLineBytes} B), 64 KiB chunks, median of ${quick ? 1 : 5}`;
rows.push(
  { figure: 'pipeline (split → parse → format → route)', value: `${figures.pipeline_events_per_s.toLocaleString('en')} events/s`, how: lineNote },
  { figure: 'pipeline / plain JSON.parse', value: `${figures.pipeline_vs_json_parse}`, how: `JSON.parse alone: ${figures.json_parse_events_per_s.toLocaleString('en')} lines/s, same run` },
  { figure: '  stage: split', value: `${round(pipeline.splitPerS).toLocaleString('en')} lines/s`, how: 'bytes to decoded lines' },
  { figure: '  stage: split + parse', value: `${round(pipeline.splitParsePerS).toLocaleString('en')} events/s`, how: 'plus JSON.parse and the type check' },
);

const width = (key: keyof Row) => Math.max(key.length, ...rows.map((row) => row[key].length));
const line = (row: Row) => `| ${row.figure.padEnd(width('figure'))} | ${row.value.padEnd(width('value'))} | ${row.how.padEnd(width('how'))} |`;
console.log(`icinga-relay benchmarks: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}${quick ? ' (quick smoke run)' : ''}`);
console.log(line({ figure: 'figure', value: 'value', how: 'how it was measured' }));
console.log(`|${'-'.repeat(width('figure') + 2)}|${'-'.repeat(width('value') + 2)}|${'-'.repeat(width('how') + 2)}|`);
for (const row of rows) console.log(line(row));
if (values.json) console.log(JSON.stringify(figures));
