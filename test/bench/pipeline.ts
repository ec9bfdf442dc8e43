/**
 * Pipeline throughput on recorded real events: line splitting → JSON parse → formatter →
 * routing, against plain JSON.parse of the same lines in the same run (the practical ceiling in
 * Node). The mix is fixtures/stream.ndjson, every event type Icinga2 sent in the recording.
 */
import { readFileSync } from 'node:fs';
import { parseEventLine } from '../../src/icinga/event-types.js';
import { LineSplitter } from '../../src/icinga/ndjson.js';
import { Pipeline } from '../../src/pipeline.js';
import { createRouter } from '../../src/router.js';
import { median } from './stats.js';

/** Icinga2's stream arrives in socket reads of up to 64 KiB, lines cut anywhere. */
const CHUNK_BYTES = 64 * 1024;

export interface PipelineResult {
  lines: number;
  averageLineBytes: number;
  /** Events per second, median over the runs, for each stage cumulated from the left. */
  splitPerS: number;
  splitParsePerS: number;
  fullPerS: number;
  jsonParsePerS: number;
}

/** A block of the mix, about 10,000 lines, cut into chunks; runs go over it `passes` times. */
function block(lines: string[]): { chunks: Buffer[]; lines: string[] } {
  const repeated: string[] = [];
  while (repeated.length < 10_000) repeated.push(...lines);
  const all = Buffer.from(repeated.join('\n') + '\n');
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) pieces.push(all.subarray(offset, offset + CHUNK_BYTES));
  return { chunks: pieces, lines: repeated };
}

function rate(lines: number, run: () => void, runs: number): number {
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(lines / seconds);
  }
  return median(rates);
}

export function benchmarkPipeline(options: { minLines: number; runs: number; fixture?: string }): PipelineResult {
  const recorded = readFileSync(options.fixture ?? 'fixtures/stream.ndjson', 'utf8').split('\n').filter(Boolean);
  const input = block(recorded);
  const passes = Math.ceil(options.minLines / input.lines.length);
  const count = input.lines.length * passes;
  let sink = 0;

  const split = (onLine: (line: string) => void) => {
    const splitter = new LineSplitter({ onLine, onOverlong: () => undefined });
    for (let pass = 0; pass < passes; pass++) for (const chunk of input.chunks) splitter.push(chunk);
    splitter.end();
  };
  const splitPerS = rate(count, () => split((line) => (sink += line.length)), options.runs);
  const splitParsePerS = rate(count, () => split((line) => (sink += parseEventLine(line).event ? 1 : 0)), options.runs);
  const fullPerS = rate(
    count,
    () => {
      const pipeline = new Pipeline({ width: 400, router: createRouter({ destinations: ['console'], softStates: false }) });
      split((line) => {
        const { event } = parseEventLine(line);
        if (event && pipeline.process(event)) sink++;
      });
    },
    options.runs,
  );
  const jsonParsePerS = rate(
    count,
    () => {
      for (let pass = 0; pass < passes; pass++) for (const line of input.lines) sink += JSON.parse(line) ? 1 : 0;
    },
    options.runs,
  );
  if (sink < 0) throw new Error('unreachable: keeps the work from being optimised away');
  const bytes = recorded.reduce((total, line) => total + Buffer.byteLength(line), 0);
  return { lines: count, averageLineBytes: Math.round(bytes / recorded.length), splitPerS, splitParsePerS, fullPerS, jsonParsePerS };
}
