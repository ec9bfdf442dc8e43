/**
 * Live burst: at least 10,000 state changes through the real Icinga2 into the relay process,
 * submitted with process-check-result over keep-alive from a few concurrent requesters. Icinga2
 * delivers them in ~5 s ticks at its own drain rate; the relay kept up when no event waited in
 * the relay beyond Icinga2's own tick (arrival minus emission stays under one tick plus a second).
 */
import { SERVICES, startRelay, waitUntilSettled, type LiveServers } from './live.js';
import type { Report } from './relay-protocol.js';
import { percentile } from './stats.js';

export interface BurstResult {
  results: number;
  events: number;
  stateChanges: number;
  /** Events per second within Icinga2's busiest delivery tick. */
  peakTickEventsPerS: number;
  cpuSecondsPer1000Events: number;
  emissionLagMaxMs: number;
  handlingLagP99Ms: number;
  keptUp: boolean;
}

const CONCURRENT_REQUESTS = 4;
/** Icinga2's delivery tick is ~5 s; a gap this long between arrivals separates two ticks. */
const TICK_GAP_MS = 1_000;
const KEPT_UP_LAG_MS = 6_000;

export async function benchmarkBurst(servers: LiveServers, results: number): Promise<BurstResult> {
  const relay = await startRelay(servers, { events: ['CheckResult', 'StateChange', 'Notification'], rate: { burst: 4, perSecond: 0.5 } });
  try {
    await relay.request({ kind: 'mark' });
    let next = 0;
    const requester = async () => {
      // Each result flips its service between OK and CRITICAL: every one is a HARD state change.
      for (let index = next++; index < results; index = next++) {
        const service = SERVICES[index % SERVICES.length];
        const round = Math.floor(index / SERVICES.length);
        await servers.icinga.processCheckResult(service, round % 2 === 0 ? 2 : 0, `burst ${index}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, requester));
    const events = async () => (await relay.request<'report'>({ kind: 'report' })).report.events;
    await waitUntilSettled(events, 7_000, 60_000);
    const { report } = await relay.request<'report'>({ kind: 'report' });
    return summarise(results, report);
  } finally {
    await relay.stop();
  }
}

function summarise(results: number, report: Report): BurstResult {
  const emissionLagMaxMs = Math.max(...report.emissionLags);
  return {
    results,
    events: report.events,
    stateChanges: report.stateChanges,
    peakTickEventsPerS: peakTickRate(report.arrivals),
    cpuSecondsPer1000Events: report.cpuSeconds / (report.events / 1000),
    emissionLagMaxMs,
    handlingLagP99Ms: percentile(report.handlingLags, 0.99),
    keptUp: emissionLagMaxMs < KEPT_UP_LAG_MS,
  };
}

/** Splits the arrivals into Icinga2's ticks; the rate of the one with the most events. */
function peakTickRate(arrivals: readonly number[]): number {
  let best = { count: 0, spanMs: 0 };
  let start = 0;
  for (let i = 1; i <= arrivals.length; i++) {
    if (i < arrivals.length && arrivals[i] - arrivals[i - 1] < TICK_GAP_MS) continue;
    const tick = { count: i - start, spanMs: arrivals[i - 1] - arrivals[start] };
    if (tick.count > best.count) best = tick;
    start = i;
  }
  // A tick read in one socket read has no span: count it over a millisecond.
  return best.count / (Math.max(best.spanMs, 1) / 1000);
}
