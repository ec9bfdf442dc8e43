/**
 * Memory of the relay process: RSS idle after start (stream connected, IRC joined), and peak RSS
 * during storms of events while the IRC destination is throttled to 1 message/s, so nearly all
 * of a storm waits in (and overflows) the outbox. The storms are fed to the relay's event handler
 * inside its process from the recorded events: Icinga2 cannot produce 50,000 quickly here.
 */
import { sleep, startRelay, type LiveServers } from './live.js';
import type { StormResult } from './relay-protocol.js';

export interface MemoryResult {
  idleRssMb: number;
  /** Peak RSS of each storm, in order. */
  stormPeakRssMb: number[];
  /** RSS after each storm settled. */
  afterStormRssMb: number[];
  /** process.memoryUsage() after a forced gc() that follows each storm: what the relay retains. */
  afterGc: StormResult['afterGc'][];
}

const IDLE_SETTLE_MS = 2_000;
const MB = 1024 * 1024;

export async function benchmarkMemory(servers: LiveServers, storms: number, eventsPerStorm: number): Promise<MemoryResult> {
  const relay = await startRelay(servers, { events: ['StateChange', 'Notification'], rate: { burst: 1, perSecond: 1 } });
  try {
    await sleep(IDLE_SETTLE_MS);
    const idle = await relay.request<'usage'>({ kind: 'usage' });
    const result: MemoryResult = { idleRssMb: idle.usage.rssBytes / MB, stormPeakRssMb: [], afterStormRssMb: [], afterGc: [] };
    for (let storm = 0; storm < storms; storm++) {
      const { storm: measured } = await relay.request<'storm'>({ kind: 'storm', events: eventsPerStorm });
      result.stormPeakRssMb.push(measured.peakRssBytes / MB);
      result.afterStormRssMb.push(measured.afterRssBytes / MB);
      result.afterGc.push(measured.afterGc);
    }
    return result;
  } finally {
    await relay.stop();
  }
}
