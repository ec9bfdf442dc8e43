/**
 * Relay-added latency: from the moment an event's bytes arrive on the stream's socket to the
 * moment its PRIVMSG is written to the IRC connection (an unthrottled destination on the real
 * InspIRCd). Each check result's output carries a tag that the relay process matches at both
 * ends. Icinga2 still delivers in ~5 s ticks, so events arrive in small bursts and the later ones
 * of a burst wait for the earlier ones' echo-message round trips: that wait is the relay's too.
 */
import { LATENCY_TAG } from './relay-protocol.js';
import { SERVICES, sleep, startRelay, waitUntilSettled, type LiveServers } from './live.js';
import { percentile } from './stats.js';

export interface LatencyResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const SPACING_MS = 50;

export async function benchmarkLatency(servers: LiveServers, events: number): Promise<LatencyResult> {
  const relay = await startRelay(servers, { events: ['StateChange'], rate: { burst: 1_000_000, perSecond: 1_000_000 } });
  try {
    await relay.request({ kind: 'mark' });
    for (let index = 0; index < events; index++) {
      const service = SERVICES[index % SERVICES.length];
      const round = Math.floor(index / SERVICES.length);
      const tag = LATENCY_TAG.source.replace('(\\d+)', String(index));
      await servers.icinga.processCheckResult(service, round % 2 === 0 ? 2 : 0, `latency probe ${tag}`);
      await sleep(SPACING_MS);
    }
    const samples = async () => (await relay.request<'report'>({ kind: 'report' })).report.latencies.length;
    await waitUntilSettled(samples, 7_000, 30_000);
    const { latencies } = (await relay.request<'report'>({ kind: 'report' })).report;
    return { samples: latencies.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: Math.max(...latencies) };
  } finally {
    await relay.stop();
  }
}
