/**
 * Relay-added latency: from the moment an event's bytes arrive on the stream's socket to the
 * moment its PRIVMSG is written to the IRC connection (an unthrottled destination on the real
 * InspIRCd). Each check result's output carries a tag that the relay process matches at both
 * ends.
 *
 * Every event is a lone alert, so storm grouping (which holds what follows a first alert for
 * up to its 1-second window, by design) is not what is measured: each of the harness's services
 * is routed to a channel of its own, and a round changes every service once, a round every
 * ROUND_SPACING_MS, longer than one of Icinga2's ~5 s delivery ticks. So each destination sees
 * one event per tick, long after its storm window closed, with the default noise settings.
 * The events of one tick still arrive together and go out over the one IRC connection in turn
 * (each PRIVMSG waits for the echo of the one before): that wait is the relay's and is measured.
 */
import { LATENCY_TAG } from './relay-protocol.js';
import { SERVICES, sleep, startRelay, waitUntilSettled, type LiveServers } from './live.js';
import { percentile } from './stats.js';

export interface LatencyResult {
  samples: number;
  rounds: number;
  destinations: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Longer than Icinga2's delivery tick, so two rounds never share one. */
const ROUND_SPACING_MS = 6_000;

const channelOf = (index: number) => `#lat${index}`;

/** One route per service, to its own channel, stopping there. */
function routesYaml(): string[] {
  return [
    'routes:',
    ...SERVICES.flatMap((object, index) => {
      const [host, service] = object.split('!');
      return [`  - match: { host: '${host}', service: '${service}' }`, `    to: irc:${channelOf(index)}`, '    stop: true'];
    }),
  ];
}

export async function benchmarkLatency(servers: LiveServers, events: number): Promise<LatencyResult> {
  const relay = await startRelay(servers, {
    events: ['StateChange'],
    rate: { burst: 1_000_000, perSecond: 1_000_000 },
    channels: SERVICES.map((_, index) => channelOf(index)),
    extraYaml: routesYaml(),
  });
  const rounds = Math.ceil(events / SERVICES.length);
  try {
    await relay.request({ kind: 'mark' });
    for (let round = 0; round < rounds; round++) {
      const startedAt = Date.now();
      await Promise.all(
        SERVICES.map((service, index) => {
          const tag = LATENCY_TAG.source.replace('(\\d+)', String(round * SERVICES.length + index));
          // Each round flips every service between CRITICAL and OK: a HARD state change each time.
          return servers.icinga.processCheckResult(service, round % 2 === 0 ? 2 : 0, `latency probe ${tag}`);
        }),
      );
      await sleep(Math.max(0, ROUND_SPACING_MS - (Date.now() - startedAt)));
    }
    const samples = async () => (await relay.request<'report'>({ kind: 'report' })).report.latencies.length;
    await waitUntilSettled(samples, 7_000, 30_000);
    const { latencies } = (await relay.request<'report'>({ kind: 'report' })).report;
    return {
      samples: latencies.length,
      rounds,
      destinations: SERVICES.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: latencies.length === 0 ? NaN : Math.max(...latencies),
    };
  } finally {
    await relay.stop();
  }
}
