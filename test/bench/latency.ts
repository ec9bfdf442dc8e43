/**
 * Relay-added latency: from the moment an event's bytes arrive on the stream's socket to the
 * moment its PRIVMSG is written to the IRC connection (an unthrottled destination on the real
 * InspIRCd). Each check result's output carries a tag that the relay process matches at both
 * ends.
 *
 * Every event is a lone alert, so storm grouping (which holds what follows a first alert for
 * up to its 1-second window, by design) is not what is measured: each of the harness's services
 * is routed to a channel of its own, and a round changes every service once, a round every
 * ROUND_SPACING_MS. Icinga2 delivers an event at once or up to one ~5 s tick late (measured: a
 * round is often split between the two), so 6 s between rounds put two events of one channel
 * about 1 s apart, inside the storm window; with 8 s they stay 3 s apart at least, and each
 * destination sees lone events with the default noise settings. The events of one tick still
 * arrive together and share the one IRC connection, whose lines wait for the server's echo (at
 * most MAX_LINES_IN_FLIGHT and MAX_BYTES_IN_FLIGHT at once: a round's 12 lines go together): a
 * wait for an echo would be the relay's, and would be measured.
 *
 * Counting starts once the relay has finished the catch-up of its stream's connect, which holds
 * live events back until it has read the current states, and after WARM_UP_ROUNDS, whose events
 * run the relay's code for the first time (compiling it takes milliseconds): start-up costs, not
 * per-event ones, reported apart (warmUpMaxMs).
 */
import { LATENCY_TAG } from './relay-protocol.js';
import { SERVICES, sleep, startRelay, waitUntilSettled, type LiveServers } from './live.js';
import { percentile } from './stats.js';

export interface LatencyResult {
  samples: number;
  rounds: number;
  roundSpacingMs: number;
  /** Rounds before the counted ones, and the slowest of their events: code the first alerts after start-up run for the first time. */
  warmUpRounds: number;
  warmUpMaxMs: number;
  destinations: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Icinga2's delivery tick (~5 s, the most an event arrives late) plus more than a storm window. */
const ROUND_SPACING_MS = 8_000;
/** A CRITICAL round and an OK round: the formatters' problem and recovery paths. */
const WARM_UP_ROUNDS = 2;

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
  const runRound = async (round: number) => {
    const startedAt = Date.now();
    await Promise.all(
      SERVICES.map((service, index) => {
        const tag = LATENCY_TAG.source.replace('(\\d+)', String(round * SERVICES.length + index));
        // Each round flips every service between CRITICAL and OK: a HARD state change each time.
        return servers.icinga.processCheckResult(service, round % 2 === 0 ? 2 : 0, `latency probe ${tag}`);
      }),
    );
    await sleep(Math.max(0, ROUND_SPACING_MS - (Date.now() - startedAt)));
  };
  try {
    await relay.request({ kind: 'mark' });
    for (let round = 0; round < WARM_UP_ROUNDS; round++) await runRound(round);
    // Every warm-up event has arrived: the spacing after a round is longer than Icinga2's delivery tick.
    const warmUp = (await relay.request<'report'>({ kind: 'report' })).report.latencies;
    await relay.request({ kind: 'mark' });
    for (let round = WARM_UP_ROUNDS; round < WARM_UP_ROUNDS + rounds; round++) await runRound(round);
    const samples = async () => (await relay.request<'report'>({ kind: 'report' })).report.latencies.length;
    await waitUntilSettled(samples, 7_000, 30_000);
    const { latencies } = (await relay.request<'report'>({ kind: 'report' })).report;
    return {
      samples: latencies.length,
      rounds,
      roundSpacingMs: ROUND_SPACING_MS,
      warmUpRounds: WARM_UP_ROUNDS,
      warmUpMaxMs: warmUp.length === 0 ? NaN : Math.max(...warmUp),
      destinations: SERVICES.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: latencies.length === 0 ? NaN : Math.max(...latencies),
    };
  } finally {
    await relay.stop();
  }
}
