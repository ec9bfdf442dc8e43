/**
 * The relay under measurement, as its own process (so its CPU time and RSS are its own): the
 * real Relay with the real EventStream and IRC backend, driven and read by the parent over IPC
 * (see live.ts). Its argument is a RelayProcessOptions as JSON.
 */
import { readFileSync } from 'node:fs';
import { IrcBackend } from '../../src/chat/irc/backend.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { parseEventLine } from '../../src/icinga/event-types.js';
import { createLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { configYaml, LATENCY_TAG, type RelayAnswer, type RelayProcessOptions, type RelayRequest, type Report, type StormResult, type Usage } from './relay-protocol.js';

const STORM_BATCH = 500;
const CATCH_UP_POLL_MS = 10;

/** The system clock with sub-millisecond now(): stream arrival times and write times come from it. */
const preciseClock: Clock = { ...systemClock, now: () => performance.timeOrigin + performance.now() };

function usage(): Usage {
  const cpu = process.cpuUsage();
  return { rssBytes: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function answer(message: RelayAnswer): void {
  process.send!(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]) as RelayProcessOptions;
  const { config } = parseConfig(configYaml(options), { env: {} });
  const logger = createLogger({ level: 'warn' });
  const ircConfig = { ...config.chat.irc!, rate: options.irc.rate };
  let counting = emptyReport();
  let cpuAtMark = usage().cpuSeconds;
  const arrivalsByTag = new Map<string, number>();

  const irc = new IrcBackend(ircConfig, {
    logger,
    clock: preciseClock,
    onLineWritten: (line) => {
      const tag = LATENCY_TAG.exec(line)?.[1];
      const arrivedAt = tag === undefined ? undefined : arrivalsByTag.get(tag);
      if (arrivedAt === undefined) return;
      arrivalsByTag.delete(tag!);
      counting.latencies.push(preciseClock.now() - arrivedAt);
    },
  });
  const relay = new Relay({ ...config, chat: { irc: ircConfig } }, { logger, clock: preciseClock, backends: [irc] });
  // Runs after the relay's own listener: the event has been handled when this sees it.
  relay.stream.on('event', (event, arrivedAt) => {
    counting.events++;
    if (event.type === 'StateChange') counting.stateChanges++;
    counting.arrivals.push(arrivedAt);
    if (typeof event.timestamp === 'number') counting.emissionLags.push(arrivedAt - event.timestamp * 1000);
    counting.handlingLags.push(preciseClock.now() - arrivedAt);
  });
  // Before the relay's listener: a tagged event's line can be written during its own handling.
  relay.stream.prependListener('event', (event, arrivedAt) => {
    const output = (event.check_result as { output?: unknown } | undefined)?.output;
    const tag = typeof output === 'string' ? LATENCY_TAG.exec(output)?.[1] : undefined;
    if (tag !== undefined && !arrivalsByTag.has(tag)) arrivalsByTag.set(tag, arrivedAt);
  });

  const connected = new Promise<void>((resolve) => relay.stream.on('status', (status) => status.state === 'connected' && resolve()));
  await relay.start();
  await connected;
  answer({ kind: 'ready' });

  process.on('message', (request: RelayRequest) => {
    if (request.kind === 'usage') answer({ kind: 'usage', usage: usage() });
    else if (request.kind === 'mark') {
      void caughtUp(relay).then(() => {
        counting = emptyReport();
        cpuAtMark = usage().cpuSeconds;
        answer({ kind: 'usage', usage: usage() });
      });
    } else if (request.kind === 'report') {
      const now = usage();
      answer({ kind: 'report', report: { ...counting, ...now, cpuSeconds: now.cpuSeconds - cpuAtMark } });
    } else void storm(relay, request.events).then((result) => answer({ kind: 'storm', storm: result }));
  });
  process.on('disconnect', () => void relay.stop().finally(() => process.exit(0)));
}

/** Resolves once no catch-up holds live events back: the one every connect starts reads all current states first. */
async function caughtUp(relay: Relay): Promise<void> {
  while (relay.catchUp.catchingUp) await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
}

function emptyReport(): Report {
  return { events: 0, stateChanges: 0, arrivals: [], emissionLags: [], handlingLags: [], latencies: [], rssBytes: 0, cpuSeconds: 0 };
}

/**
 * A mass outage, fed to the relay's event handler from the recorded events (Icinga2 cannot
 * produce 50,000 fast enough here): each line parsed as the stream would, with its service
 * renamed so every event is about a different object, as in a real outage.
 */
async function storm(relay: Relay, count: number): Promise<StormResult> {
  const recorded = readFileSync('fixtures/stream.ndjson', 'utf8')
    .split('\n')
    .filter((line) => line.includes('"service":"'));
  let peakRssBytes = process.memoryUsage.rss();
  for (let sent = 0; sent < count; ) {
    for (const end = Math.min(count, sent + STORM_BATCH); sent < end; sent++) {
      const line = recorded[sent % recorded.length].replace(/"service":"([^"]*)"/, `"service":"$1-${sent}"`);
      const { event } = parseEventLine(line);
      if (event) relay.handleEvent(event);
    }
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    // Lets the IRC connection and the stream run between batches, as between socket reads.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const afterRssBytes = process.memoryUsage.rss();
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const afterGc = { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external, arrayBuffersBytes: memory.arrayBuffers };
  return { peakRssBytes, afterRssBytes, afterGc };
}

await main();
