/**
 * The relay as the packages run it: `node <the bin's V8 flags> dist/src/cli.js --config FILE`, the
 * unit's command line, a fresh process per run with an IRC-only config. Start-up is from spawn()
 * to both "event stream connected" and "joined" in its log; idle RSS is read from /proc 2 s later.
 * The other benchmarks drive a harness process that loads the relay's modules itself: this one
 * is what an admin's `systemctl start` costs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { relayV8Flags } from '../helpers/v8-flags.js';
import { watchProcess } from '../helpers/process.js';
import { sleep, type LiveServers } from './live.js';
import { configYaml } from './relay-protocol.js';
import { median } from './stats.js';

export interface ShippedResult {
  startupMedianMs: number;
  startupRunsMs: number[];
  idleRssMedianMb: number;
  idleRssRunsMb: number[];
}

const CLI = 'dist/src/cli.js';

function rssMb(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

export async function benchmarkShipped(servers: LiveServers, runs: number): Promise<ShippedResult> {
  const dir = mkdtempSync(join(tmpdir(), 'icinga-relay-shipped-'));
  const startupRunsMs: number[] = [];
  const idleRssRunsMb: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const config = join(dir, `config-${run}.yml`);
      const options = {
        icinga: { url: servers.icinga.url, caFile: servers.icinga.caFile, ...servers.icinga.users.relay },
        events: ['StateChange'],
        irc: { port: servers.ircd.port, nick: `shipped${run}`, rate: { burst: 4, perSecond: 0.5 } },
      };
      writeFileSync(config, configYaml(options, 'info'), { mode: 0o600 });
      const node = [process.execPath, ...relayV8Flags(), CLI, '--config', config];
      const startedAt = performance.now();
      // The servers' core is this process's: give the relay every core back, as live.ts does.
      const relay = servers.serverCore
        ? watchProcess('taskset', ['--cpu-list', `0-${cpus().length - 1}`, ...node], process.env)
        : watchProcess(node[0], node.slice(1), process.env);
      try {
        await Promise.all([relay.waitFor('stderr', /event stream connected/, 30_000), relay.waitFor('stderr', /\bjoined\b/, 30_000)]);
        startupRunsMs.push(performance.now() - startedAt);
        await sleep(2_000);
        idleRssRunsMb.push(rssMb(relay.child.pid!));
      } finally {
        relay.child.kill('SIGTERM');
        await relay.exited;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { startupMedianMs: median(startupRunsMs), startupRunsMs, idleRssMedianMb: median(idleRssRunsMb), idleRssRunsMb };
}
