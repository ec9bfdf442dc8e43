/**
 * Helpers for the fault tests (test/faults): a TCP proxy that can stop forwarding without
 * closing, a relay config built from explicit URLs and keys, and a started relay that records
 * its stream's ups and downs.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { parseConfig, type RelayConfig } from '../../src/config/index.js';
import type { StreamStatus } from '../../src/icinga/stream.js';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { EVENT_WAIT_MS, FakeChatBackend, waitUntil } from '../commands/helpers.js';
import type { PasswordUser } from '../harness/icinga2.js';

/**
 * A relay on `config` with a fake chat backend (irc:#ops), started, connected and past its first
 * catch-up, stopped at the end of the test; `statuses` records every stream status.
 */
export async function connectedRelay(t: { teardown(fn: () => unknown): void }, config: RelayConfig) {
  const logger = memoryLogger();
  const chat = new FakeChatBackend('irc', ['irc:#ops']);
  const relay = new Relay(config, { logger, backends: [chat] });
  const statuses: StreamStatus[] = [];
  relay.stream.on('status', (status) => statuses.push(status));
  const connections = () => statuses.filter((status) => status.state === 'connected').length;
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => connections() === 1, EVENT_WAIT_MS, () => `the stream; log:\n${logger.lines.join('\n')}`);
  await waitUntil(() => (relay.catchUp.catchingUp ? undefined : true), EVENT_WAIT_MS, 'the first catch-up');
  return { relay, chat, logger, statuses, connections };
}

/** A TCP proxy to 127.0.0.1:`targetPort`. */
export interface BlackholeProxy {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** From now on nothing is forwarded in either direction, on open and on new connections; nothing is closed. */
  blackhole(): void;
  /** From now on new connections are accepted and never answered; open ones go on forwarding. */
  holdNew(): void;
  /** Closes every open connection and holds new ones (holdNew): Icinga2 out of reach. */
  cut(): void;
  /** New connections forward again; the ones held during the blackhole are closed. */
  restore(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  const sockets = new Set<Socket>();
  const frozen = new Set<Socket>();
  let holding = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      frozen.delete(socket);
    });
  };
  const server: Server = createServer((client) => {
    proxy.accepted++;
    track(client);
    if (holding) {
      // Accepted, never answered.
      frozen.add(client);
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (data) => {
        if (!frozen.has(from)) to.write(data);
      });
      from.on('end', () => {
        if (!frozen.has(from)) to.end();
      });
      from.on('close', () => {
        if (!frozen.has(from)) to.destroy();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: BlackholeProxy = {
    port: (server.address() as AddressInfo).port,
    accepted: 0,
    blackhole() {
      holding = true;
      for (const socket of sockets) frozen.add(socket);
    },
    holdNew() {
      holding = true;
    },
    cut() {
      holding = true;
      for (const socket of [...sockets]) socket.destroy();
    },
    restore() {
      holding = false;
      for (const socket of [...frozen]) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

export interface FaultConfig {
  urls: string[];
  caFile: string;
  user: PasswordUser;
  /** Further keys of the icinga section, as YAML lines without indentation. */
  icinga?: string[];
  /** Further top-level YAML. */
  extra?: string;
}

export function faultRelayConfig(options: FaultConfig): RelayConfig {
  const yaml = [
    'icinga:',
    `  url: [${options.urls.join(', ')}]`,
    `  ca_file: ${options.caFile}`,
    `  username: ${options.user.username}`,
    '  password: ${PASSWORD}',
    '  reconnect: { min: 1s, max: 2s }',
    ...(options.icinga ?? []).map((line) => `  ${line}`),
    options.extra ?? '',
  ].join('\n');
  return parseConfig(yaml, { env: { PASSWORD: options.user.password } }).config;
}
