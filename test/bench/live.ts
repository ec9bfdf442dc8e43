/**
 * What the live benchmarks share: a real Icinga2 and a real InspIRCd (with limits no relay
 * reaches, so only the relay's own throttle paces it), and the relay as a child process
 * (relay-process.ts) that answers requests over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startIcinga2, TEST_HOSTS, TEST_SERVICES, type Icinga2Instance } from '../harness/icinga2.js';
import { startIrcd, type IrcdInstance } from '../harness/ircd.js';
import type { RelayAnswer, RelayProcessOptions, RelayRequest } from './relay-protocol.js';

export interface LiveServers {
  icinga: Icinga2Instance;
  ircd: IrcdInstance;
  destroy(): Promise<void>;
}

export async function startLiveServers(): Promise<LiveServers> {
  const icinga = await startIcinga2();
  const ircd = await startIrcd().catch(async (error: unknown) => {
    await icinga.destroy();
    throw error;
  });
  return { icinga, ircd, destroy: () => Promise.all([icinga.destroy(), ircd.destroy()]).then(() => undefined) };
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
  const child = fork(script, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [...process.execArgv, '--expose-gc'] });
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
