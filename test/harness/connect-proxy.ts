/**
 * A local HTTP CONNECT proxy, as corporate networks put between the relay and Slack: it tunnels
 * each CONNECT to its target and records the target and the first request line sent through the
 * tunnel (readable here because the Slack fake speaks plain HTTP inside it).
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Tunnel {
  /** host:port the client asked to CONNECT to. */
  target: string;
  /** Each request line sent through the tunnel (keep-alive sends several), e.g. `POST /api/auth.test HTTP/1.1`. */
  requests: string[];
  /** Whether a request asked for a websocket upgrade. */
  websocket: boolean;
}

export interface ConnectProxy {
  url: string;
  tunnels: Tunnel[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_request, response) => {
    response.writeHead(405).end('only CONNECT\n');
  });
  server.on('connect', (request, client: Socket, head: Buffer) => {
    const tunnel: Tunnel = { target: request.url ?? '', requests: [], websocket: false };
    tunnels.push(tunnel);
    const [host, port] = tunnel.target.split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on('data', (chunk: Buffer) => {
      if (tunnel.websocket) return; // frames from here on
      const text = chunk.toString('latin1');
      tunnel.requests.push(...(text.match(/^(?:GET|POST) \S+ HTTP\/1\.1(?=\r$)/gm) ?? []));
      tunnel.websocket = /\r\nupgrade: websocket\r\n/i.test(text);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
