/**
 * `npm run bench`: prints a table of the relay's measured figures; `-- --json` adds them as one
 * JSON object on the last line; `-- --quick` is the few-second smoke run the tests use. Never
 * fails on a number: these machines are shared and noisy, so figures are medians and
 * comparisons are ratios taken in the same run.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchmarkBurst } from './burst.js';
import { benchmarkLatency } from './latency.js';
import { startLiveServers } from './live.js';
import { benchmarkMemory } from './memory.js';
import { benchmarkPipeline } from './pipeline.js';
import { benchmarkShipped } from './shipped.js';
import { benchmarkStartup } from './startup.js';

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
const STARTUP_RUNS = 5;
const STORMS = 3;
const STORM_EVENTS = 50_000;
const LATENCY_EVENTS = 240;
const BURST_RESULTS = 12_000;

const pipeline = benchmarkPipeline({ minLines: quick ? 20_000 : 1_000_000, runs: quick ? 1 : 5 });
figures.pipeline_events_per_s = round(pipeline.fullPerS);
figures.pipeline_vs_json_parse = round(pipeline.fullVsJsonParse, 2);
figures.format_route_vs_json_parse = round(pipeline.formatRouteVsJsonParse, 2);
figures.json_parse_events_per_s = round(pipeline.jsonParsePerS);
const lineNote = `${pipeline.lines.toLocaleString('en')} lines of the recorded mix (avg ${pipeline.averageLineBytes} B), 64 KiB chunks, median of ${quick ? 1 : 5} rounds`;
rows.push(
  {
    figure: 'pipeline (split → parse → format → route → noise)',
    value: `${figures.pipeline_events_per_s.toLocaleString('en')} events/s`,
    how: `${lineNote}; default noise settings on a clock moving at 30,000 events/s (Icinga2's drain rate): ${pipeline.deliveredMessages.toLocaleString('en')} messages out of ${pipeline.routedEvents.toLocaleString('en')} routed events`,
  },
  {
    figure: 'pipeline / plain JSON.parse',
    value: `${figures.pipeline_vs_json_parse}`,
    how: `JSON.parse alone: ${figures.json_parse_events_per_s.toLocaleString('en')} lines/s; median of each round's ratio (a round runs every stage once, one after another)`,
  },
  { figure: '  stage: split', value: `${round(pipeline.splitPerS).toLocaleString('en')} lines/s`, how: 'bytes to decoded lines' },
  { figure: '  stage: split + parse', value: `${round(pipeline.splitParsePerS).toLocaleString('en')} events/s`, how: 'plus JSON.parse and the type check' },
  {
    figure: '  stage: … + format + route',
    value: `${round(pipeline.formatRoutePerS).toLocaleString('en')} events/s`,
    how: `plus the formatters and the router, before noise control: ${figures.format_route_vs_json_parse} of JSON.parse`,
  },
);

const mb = (n: number) => `${round(n)} MB`;
const MIB = 1024 * 1024;
// The live parts need a real Icinga2 and InspIRCd and take minutes: not in the smoke run.
if (!quick) {
  const servers = await startLiveServers({ isolateRelay: true });
  try {
    const startup = await benchmarkStartup(servers, STARTUP_RUNS);
    figures.startup_ms = round(startup.medianMs);
    rows.push({ figure: 'start-up', value: `${figures.startup_ms} ms`, how: `fork() to stream connected and IRC channel joined, median of ${STARTUP_RUNS}` });

    const shipped = await benchmarkShipped(servers, STARTUP_RUNS);
    figures.shipped_startup_ms = round(shipped.startupMedianMs);
    figures.shipped_idle_rss_mb = round(shipped.idleRssMedianMb, 1);
    rows.push(
      {
        figure: 'shipped form: start-up',
        value: `${figures.shipped_startup_ms} ms`,
        how: `the unit's command line (node, the bin's V8 flags, dist/src/cli.js --config), IRC only: spawn() to "event stream connected" and "joined" logged, median of ${STARTUP_RUNS}: ${shipped.startupRunsMs.map((ms) => round(ms)).join(', ')} ms`,
      },
      { figure: 'shipped form: idle RSS', value: mb(figures.shipped_idle_rss_mb), how: `the same processes 2 s after start-up, median: ${shipped.idleRssRunsMb.map((v) => round(v, 1)).join(', ')} MB` },
    );

    const memory = await benchmarkMemory(servers, STORMS, STORM_EVENTS);
    figures.idle_rss_mb = round(memory.idleRssMb, 1);
    figures.storm_peak_rss_mb = round(Math.max(...memory.stormPeakRssMb), 1);
    figures.storm_rss_growth_mb = round(memory.stormPeakRssMb.at(-1)! - memory.stormPeakRssMb[0], 1);
    figures.storm_retained_heap_growth_mb = round((memory.afterGc.at(-1)!.heapUsedBytes - memory.afterGc[0].heapUsedBytes) / MIB, 1);
    rows.push(
      { figure: 'memory: idle RSS', value: mb(memory.idleRssMb), how: 'relay process, 2 s after start-up' },
      {
        figure: 'memory: storm peak RSS',
        value: mb(figures.storm_peak_rss_mb),
        how: `${STORMS} storms of ${STORM_EVENTS.toLocaleString('en')} recorded events fed to the relay's handler, IRC throttled to 1 msg/s; peaks ${memory.stormPeakRssMb.map(mb).join(', ')}`,
      },
      { figure: 'memory: growth over storms', value: mb(figures.storm_rss_growth_mb), how: `last storm's peak minus the first's; RSS after each: ${memory.afterStormRssMb.map(mb).join(', ')}` },
      {
        figure: 'memory: retained after storms',
        value: mb(figures.storm_retained_heap_growth_mb),
        how: `heapUsed after a forced gc() following each storm: ${memory.afterGc.map((m) => mb(m.heapUsedBytes / MIB)).join(', ')} (RSS ${memory.afterGc.map((m) => mb(m.rssBytes / MIB)).join(', ')}; external ${memory.afterGc.map((m) => mb(m.externalBytes / MIB)).join(', ')})`,
      },
    );

    const latency = await benchmarkLatency(servers, LATENCY_EVENTS);
    figures.latency_warm_up_max_ms = round(latency.warmUpMaxMs, 2);
    rows.push(
      {
        figure: 'latency p50 / p99 / max',
        value: latencyFigures('latency', latency),
        how: `${latency.samples} real StateChanges, each a lone alert (default noise settings; each of ${latency.destinations} services routed to its own channel, ${latency.rounds} rounds ${latency.roundSpacingMs / 1000} s apart, so one event per destination per storm window): bytes read from the stream to PRIVMSG written to InspIRCd (unthrottled, echo-message); ${coresNote(servers)}`,
      },
      {
        figure: 'latency: first alerts after start-up',
        value: `max ${figures.latency_warm_up_max_ms} ms`,
        how: `the ${latency.warmUpRounds} rounds before the counted ones (a CRITICAL and an OK one), whose events run the relay's code for the first time`,
      },
    );
  } finally {
    await servers.destroy();
  }

  // The relay sharing every core with Icinga2 and InspIRCd, as on a small monitoring VM: the same
  // latency run, and the burst, whose rate is Icinga2's (on one core it produced a quarter of it).
  const shared = await startLiveServers({ isolateRelay: false });
  try {
    const burst = await benchmarkBurst(shared, BURST_RESULTS);
    figures.burst_events_per_s = round(burst.peakTickEventsPerS);
    figures.cpu_s_per_1000_events = round(burst.cpuSecondsPer1000Events, 3);
    figures.burst_kept_up = burst.keptUp ? 1 : 0;
    rows.push(
      {
        figure: 'live burst',
        value: `${figures.burst_events_per_s.toLocaleString('en')} events/s`,
        how: `${burst.events.toLocaleString('en')} events (${burst.stateChanges.toLocaleString('en')} StateChanges) from ${burst.results.toLocaleString('en')} process-check-results, rate in Icinga2's busiest delivery tick`,
      },
      { figure: 'live burst: relay CPU', value: `${figures.cpu_s_per_1000_events} s / 1,000 events`, how: 'process.cpuUsage() of the relay process over the whole burst' },
      {
        figure: 'live burst: kept up',
        value: burst.keptUp ? 'yes' : 'no',
        how: `arrival minus Icinga2's emission time at most ${round(burst.emissionLagMaxMs)} ms (its ticks are ~5 s); handling p99 ${round(burst.handlingLagP99Ms, 2)} ms after arrival`,
      },
    );
    const latency = await benchmarkLatency(shared, LATENCY_EVENTS);
    rows.push({
      figure: 'latency p50 / p99 / max, cores shared',
      value: latencyFigures('shared_latency', latency),
      how: `as above, ${coresNote(shared)}: the wall time includes waiting for a core while Icinga2 works on the same tick`,
    });
  } finally {
    await shared.destroy();
  }
}

/** Records `<prefix>_p50_ms`, `_p99_ms` and `_max_ms`; answers them as the table shows them. */
function latencyFigures(prefix: string, latency: { p50Ms: number; p99Ms: number; maxMs: number }): string {
  const values = [latency.p50Ms, latency.p99Ms, latency.maxMs].map((ms) => round(ms, 2));
  ['p50', 'p99', 'max'].forEach((name, i) => (figures[`${prefix}_${name}_ms`] = values[i]));
  return `${values.join(' / ')} ms`;
}

function coresNote(servers: { serverCore: string | undefined }): string {
  return servers.serverCore ? `Icinga2, InspIRCd and the harness on core ${servers.serverCore}, the relay on any core (the others its own)` : 'the relay, Icinga2 and InspIRCd sharing all cores';
}

const width = (key: keyof Row) => Math.max(key.length, ...rows.map((row) => row[key].length));
const line = (row: Row) => `| ${row.figure.padEnd(width('figure'))} | ${row.value.padEnd(width('value'))} | ${row.how.padEnd(width('how'))} |`;
console.log(`icinga-relay benchmarks: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}${quick ? ' (quick smoke run: pipeline only, the live parts are skipped)' : ''}`);
console.log(line({ figure: 'figure', value: 'value', how: 'how it was measured' }));
console.log(`|${'-'.repeat(width('figure') + 2)}|${'-'.repeat(width('value') + 2)}|${'-'.repeat(width('how') + 2)}|`);
for (const row of rows) console.log(line(row));
if (values.json) console.log(JSON.stringify(figures));
