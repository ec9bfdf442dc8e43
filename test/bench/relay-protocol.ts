/** What the benchmarks and the relay process they start (relay-process.ts) say to each other over IPC. */
export interface RelayProcessOptions {
  icinga: { url: string; caFile: string; username: string; password: string };
  events: string[];
  irc: { port: number; nick: string; rate: { burst: number; perSecond: number } };
  /** IRC channels to join; ['#ops'] when absent. */
  channels?: string[];
  /** Top-level config lines added as they are (routes, noise); the defaults apply when absent. */
  extraYaml?: string[];
}

/** What the parent asks; each request gets one answer. */
export type RelayRequest =
  | { kind: 'usage' }
  /** Starts counting events, CPU and latencies afresh, once the catch-up of the stream's connect has let go of live events. */
  | { kind: 'mark' }
  | { kind: 'report' }
  | { kind: 'storm'; events: number };

export interface Usage {
  rssBytes: number;
  cpuSeconds: number;
}

export interface Report extends Usage {
  events: number;
  stateChanges: number;
  /** Arrival time of each event since the mark, ms. */
  arrivals: number[];
  /** Arrival minus Icinga2's emission timestamp, ms, per event: Icinga2's delivery ticks included. */
  emissionLags: number[];
  /** From an event's arrival to the end of its handling (the lines before it in its chunk included), ms. */
  handlingLags: number[];
  /** From arrival on the socket to the PRIVMSG written to the IRC connection, ms, per tagged event. */
  latencies: number[];
}

export interface StormResult {
  peakRssBytes: number;
  /** RSS once the storm's events are handled and the queue has settled for a moment. */
  afterRssBytes: number;
  /** After a full garbage collection (the relay process runs with --expose-gc): what is retained, not garbage. */
  afterGc: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; arrayBuffersBytes: number };
}

export type RelayAnswer = { kind: 'ready' } | { kind: 'usage'; usage: Usage } | { kind: 'report'; report: Report } | { kind: 'storm'; storm: StormResult };

/** Plugin outputs carrying this tag are matched from arrival to the IRC line they become. */
export const LATENCY_TAG = /bench-seq-(\d+)/;

/** The relay's config for a benchmark: the live Icinga2 and InspIRCd, logging at `logLevel`. */
export function configYaml(options: RelayProcessOptions, logLevel = 'warn'): string {
  const { icinga, irc } = options;
  return [
    'icinga:',
    `  url: ${icinga.url}`,
    `  ca_file: ${icinga.caFile}`,
    `  username: ${icinga.username}`,
    `  password: ${icinga.password}`,
    `  events: [${options.events.join(', ')}]`,
    'chat:',
    '  irc:',
    '    server: 127.0.0.1',
    `    port: ${irc.port}`,
    '    tls: false',
    `    nick: ${irc.nick}`,
    `    channels: [${(options.channels ?? ['#ops']).map((channel) => `'${channel}'`).join(', ')}]`,
    '    colours: false',
    'log:',
    `  level: ${logLevel}`,
    ...(options.extraYaml ?? []),
    '',
  ].join('\n');
}
