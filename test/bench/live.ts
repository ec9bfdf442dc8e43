/**
 * What the live benchmarks share: a real Icinga2 and a real InspIRCd (with limits no relay
 * reaches, so only the relay's own throttle paces it), and the relay as a child process
 * (relay-process.ts) that answers requests over IPC, run with the V8 flags the relay's bin and
 * unit give it.
 *
 * With `isolateRelay` (and two cores or more), Icinga2, InspIRCd and the harness itself (this
 * process, which posts the check results while their events arrive) run on the first core and
 * the relay on any (taskset): then the other cores are the relay's own, and what is measured is
 * the relay's time, not the scheduler handing its core to Icinga2 while it delivers a tick.
 * Measured here over 120-240 lone events: all sharing every core, p99 8-39 ms; the relay alone
 * on core 1 with the harness unpinned, 5.9-10 ms (involuntary context switches inside the
 * slowest events' handling); the harness on core 0 too, 3.4-7.4 ms; the relay free to use core
 * 0 as well (its V8 threads no longer queue behind its main thread), 3.8-4.0 ms.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startIcinga2, TEST_HOSTS, TEST_SERVICES, type Icinga2Instance } from '../harness/icinga2.js';
import { startIrcd, type IrcdInstance } from '../harness/ircd.js';
import { relayV8Flags } from '../helpers/v8-flags.js';
import type { RelayAnswer, RelayProcessOptions, RelayRequest } from './relay-protocol.js';

export interface LiveServers {
  icinga: Icinga2Instance;
  ircd: IrcdInstance;
  /** The core the servers and the harness are confined to, when the relay has the others to itself. */
  serverCore: string | undefined;
  destroy(): Promise<void>;
}

/** Every core, as a taskset list. */
const allCores = () => `0-${cpus().length - 1}`;

/** Sets the CPU affinity of every thread of a process. */
const pin = (pid: number, cores: string) => execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cores, String(pid)], { stdio: 'ignore' });

export async function startLiveServers(options: { isolateRelay: boolean }): Promise<LiveServers> {
  const cores = cpus().length;
  const serverCore = options.isolateRelay && cores >= 2 ? '0' : undefined;
  // The servers inherit this process's affinity when they start; this process keeps it until destroy().
  if (serverCore) pin(process.pid, serverCore);
  const allCoresAgain = () => {
    if (serverCore) pin(process.pid, allCores());
  };
  try {
    const icinga = await startIcinga2();
    const ircd = await startIrcd().catch(async (error: unknown) => {
      await icinga.destroy();
      throw error;
    });
    return { icinga, ircd, serverCore, destroy: () => Promise.all([icinga.destroy(), ircd.destroy()]).then(allCoresAgain) };
  } catch (error) {
    allCoresAgain();
    throw error;
  }
}

/** Every service of the harness's Icinga2 that turns HARD on its first result. */
export const SERVICES = TEST_HOSTS.flatMap((host) => TEST_SERVICES.map((service) => `${host}!${service}`));

let relaysStarted = 0;

export interface RelayProcess {
  /** From fork() to the relay's stream connected and its IRC channel joined, ms. */
  startupMs: number;
  request<Kind extends RelayAnswer['kind']>(request: RelayRequest): Promise<Extract<RelayAnswer, { kind: Kind }>>;
  stop(): Promise<void>;
}

export async function startRelay(servers: LiveServers, settings: Pick<RelayProcessOptions, 'events' | 'channels' | 'extraYaml'> & { rate: RelayProcessOptions['irc']['rate'] }): Promise<RelayProcess> {
  const options: RelayProcessOptions = {
    icinga: { url: servers.icinga.url, caFile: servers.icinga.caFile, ...servers.icinga.users.relay },
    events: settings.events,
    irc: { port: servers.ircd.port, nick: `bench${++relaysStarted}`, rate: settings.rate },
    channels: settings.channels,
    extraYaml: settings.extraYaml,
  };
  const script = fileURLToPath(new URL('./relay-process.js', import.meta.url));
  const startedAt = performance.now();
  const nodeArgs = [...relayV8Flags(), '--expose-gc'];
  const child = fork(script, [JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // taskset gives node every core back (this process has the servers' one); the IPC channel is inherited through it.
    ...(servers.serverCore ? { execPath: 'taskset', execArgv: ['--cpu-list', allCores(), process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }),
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nextAnswer = () =>
    new Promise<RelayAnswer>((resolve, reject) => {
      const onExit = () => reject(new Error(`the relay process exited; its log:\n${stderr.join('')}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as RelayAnswer);
      });
    });
  await withTimeout(nextAnswer(), 30_000, 'the relay process to start', child);
  const startupMs = performance.now() - startedAt;
  return {
    startupMs,
    async request<Kind extends RelayAnswer['kind']>(request: RelayRequest) {
      const answered = nextAnswer();
      child.send(request);
      return (await answered) as Extract<RelayAnswer, { kind: Kind }>;
    },
    async stop() {
      child.disconnect();
      await withTimeout(exited, 10_000, 'the relay process to stop', child).catch(() => child.kill('SIGKILL'));
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, child: ChildProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `count` until it stops changing for `quietMs` (Icinga2 delivers in ~5 s ticks) or `limitMs` passes. */
export async function waitUntilSettled(count: () => Promise<number>, quietMs: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = await count();
  let stableSince = Date.now();
  while (Date.now() < deadline && Date.now() - stableSince < quietMs) {
    await sleep(500);
    const now = await count();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
}
