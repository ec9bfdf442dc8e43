/**
 * Pipeline throughput on recorded real events: line splitting → JSON parse → formatter →
 * routing → noise control (dedup, flapping, mutes, storm grouping, rate limit, with the default
 * settings), against plain JSON.parse of the same lines in the same run (the practical ceiling in
 * Node). The mix is fixtures/stream.ndjson, every event type Icinga2 sent in the recording.
 *
 * Noise control runs on a clock that moves as the lines would arrive at STREAM_EVENTS_PER_S, so
 * its windows open and close as in a real storm instead of holding a whole run in one window.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_NOISE } from '../../src/config/index.js';
import { EventChunkParser } from '../../src/icinga/event-chunks.js';
import type { IcingaEvent } from '../../src/icinga/event-types.js';
import { LineSplitter } from '../../src/icinga/ndjson.js';
import { memoryLogger } from '../../src/log.js';
import { NoiseControl } from '../../src/noise/index.js';
import { Pipeline } from '../../src/pipeline.js';
import { createRouter } from '../../src/router.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { median } from './stats.js';

/** Icinga2's stream arrives in socket reads of up to 64 KiB, lines cut anywhere. */
const CHUNK_BYTES = 64 * 1024;
/** Icinga2 2.13's measured drain rate of a queued burst (shared/icinga2-notes.md). */
const STREAM_EVENTS_PER_S = 30_000;
const WIDTH = 400;

export interface PipelineResult {
  lines: number;
  averageLineBytes: number;
  /** Events per second, median over the rounds, for each stage cumulated from the left. */
  splitPerS: number;
  splitParsePerS: number;
  formatRoutePerS: number;
  fullPerS: number;
  jsonParsePerS: number;
  /** Median over the rounds of each round's ratio: the stages of a round run one after another. */
  fullVsJsonParse: number;
  formatRouteVsJsonParse: number;
  /** Messages noise control let out in the last full run, of the events routed. */
  deliveredMessages: number;
  routedEvents: number;
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

/** Lines per second of one run. */
function rate(lines: number, run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return lines / (Number(process.hrtime.bigint() - start) / 1e9);
}

export function benchmarkPipeline(options: { minLines: number; runs: number; fixture?: string }): PipelineResult {
  const recorded = readFileSync(options.fixture ?? 'fixtures/stream.ndjson', 'utf8').split('\n').filter(Boolean);
  const input = block(recorded);
  const passes = Math.ceil(options.minLines / input.lines.length);
  const count = input.lines.length * passes;
  let sink = 0;

  // How long a chunk of the block takes to arrive at the stream rate.
  const chunkMs = (input.lines.length / input.chunks.length / STREAM_EVENTS_PER_S) * 1000;
  const split = (onLine: (line: string) => void) => {
    const splitter = new LineSplitter({ onLine, onOverlong: () => undefined });
    for (let pass = 0; pass < passes; pass++) for (const chunk of input.chunks) splitter.push(chunk);
    splitter.end();
  };
  const newPipeline = () => new Pipeline({ width: WIDTH, router: createRouter({ destinations: ['console'], softStates: false }) });
  const splitOnly = () => split((line) => (sink += line.length));
  // As the event stream does it (src/icinga/stream.ts): a chunk's lines parsed, then its events handed on.
  const parse = (onEvent: (event: IcingaEvent) => void, afterChunk?: () => void) => {
    const parser = new EventChunkParser({ onMalformed: () => undefined, onOverlong: () => undefined });
    for (let pass = 0; pass < passes; pass++) {
      for (const chunk of input.chunks) {
        for (const event of parser.push(chunk)) onEvent(event);
        afterChunk?.();
      }
    }
    for (const event of parser.end()) onEvent(event);
  };
  const splitParse = () => parse(() => sink++);
  const formatRoute = () => {
    const pipeline = newPipeline();
    parse((event) => {
      if (pipeline.process(event)) sink++;
    });
  };
  let deliveredMessages = 0;
  let routedEvents = 0;
  const full = () => {
    const pipeline = newPipeline();
    const clock = new FakeClock();
    deliveredMessages = 0;
    routedEvents = 0;
    const noise = new NoiseControl({ ...DEFAULT_NOISE, width: WIDTH, deliver: () => deliveredMessages++ }, { clock, logger: memoryLogger('error') });
    parse(
      (event) => {
        const delivery = pipeline.process(event);
        if (!delivery) return;
        routedEvents++;
        for (const destination of delivery.destinations) noise.submit(destination, delivery.message);
      },
      () => clock.advance(chunkMs),
    );
    noise.close();
  };
  const jsonParse = () => {
    for (let pass = 0; pass < passes; pass++) for (const line of input.lines) sink += JSON.parse(line) ? 1 : 0;
  };
  // Round by round, every stage once: a slow spell of the shared machine hits all stages of a round alike.
  const rounds: { split: number; splitParse: number; formatRoute: number; full: number; jsonParse: number }[] = [];
  for (let round = 0; round < options.runs; round++) {
    rounds.push({ split: rate(count, splitOnly), splitParse: rate(count, splitParse), formatRoute: rate(count, formatRoute), full: rate(count, full), jsonParse: rate(count, jsonParse) });
  }
  const medianOf = (pick: (round: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  sink += deliveredMessages;
  if (sink < 0) throw new Error('unreachable: keeps the work from being optimised away');
  const bytes = recorded.reduce((total, line) => total + Buffer.byteLength(line), 0);
  return {
    lines: count,
    averageLineBytes: Math.round(bytes / recorded.length),
    splitPerS: medianOf((r) => r.split),
    splitParsePerS: medianOf((r) => r.splitParse),
    formatRoutePerS: medianOf((r) => r.formatRoute),
    fullPerS: medianOf((r) => r.full),
    jsonParsePerS: medianOf((r) => r.jsonParse),
    fullVsJsonParse: medianOf((r) => r.full / r.jsonParse),
    formatRouteVsJsonParse: medianOf((r) => r.formatRoute / r.jsonParse),
    deliveredMessages,
    routedEvents,
  };
}
