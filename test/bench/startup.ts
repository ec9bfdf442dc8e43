/** Start-up: from fork() of the relay process to its event stream connected and its IRC channel joined. */
import { startRelay, type LiveServers } from './live.js';
import { median } from './stats.js';

export async function benchmarkStartup(servers: LiveServers, runs: number): Promise<{ medianMs: number; runsMs: number[] }> {
  const runsMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const relay = await startRelay(servers, { events: ['StateChange'], rate: { burst: 4, perSecond: 0.5 } });
    runsMs.push(relay.startupMs);
    await relay.stop();
  }
  return { medianMs: median(runsMs), runsMs };
}
