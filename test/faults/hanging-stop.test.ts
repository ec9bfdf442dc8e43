/**
 * SIGTERM is bounded: the built relay (`dist/src/cli.js`, needs `npm run build`) exits with 0
 * within shutdown.flush plus the goodbyes (STOP_GRACE_MS) even when a chat server or Icinga2
 * accepts the connection and never answers. Measured before: a Slack API like that held the
 * relay 33.8 s (its 30 s request timeout), past the unit's TimeoutStopSec; an IRC server like
 * that held start-up, and SIGTERM, forever.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { watchProcess } from '../helpers/process.js';

const WAIT_MS = 15_000;

/** Accepts connections, reads whatever comes, never writes a byte. */
async function hangingServer(t: Test): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, connections: () => connections };
}

const ICINGA_REFUSED = ['icinga:', '  url: https://127.0.0.1:1', '  username: relay', '  password: secret'];

const cases: Record<string, (port: number) => string[]> = {
  irc: (port) => [...ICINGA_REFUSED, 'chat:', '  irc:', '    server: 127.0.0.1', `    port: ${port}`, '    tls: false', "    channels: ['#ops']"],
  xmpp: (port) => [
    ...ICINGA_REFUSED,
    'chat:',
    '  xmpp:',
    `    service: xmpp://127.0.0.1:${port}`,
    '    jid: relay@localhost',
    '    password: secret',
    '    allow_plaintext: true',
    '    rooms: [ops@conference.localhost]',
  ],
  slack: (port) => [
    ...ICINGA_REFUSED,
    'chat:',
    '  slack:',
    '    bot_token: xoxb-hanging',
    '    app_token: xapp-hanging',
    '    channels: [C0123ABC]',
    `    api_url: http://127.0.0.1:${port}/api/`,
  ],
  icinga2: (port) => ['icinga:', `  url: https://127.0.0.1:${port}`, '  username: relay', '  password: secret', 'chat:', '  console:', '    timestamps: never'],
};

for (const [name, config] of Object.entries(cases)) {
  t.test(`SIGTERM with ${name} accepting and never answering: exit 0 at the deadline`, async (t) => {
    const hanging = await hangingServer(t);
    const dir = t.testdir({});
    const configFile = join(dir, 'relay.yml');
    writeFileSync(configFile, [...config(hanging.port), 'shutdown:', '  flush: 1s', ''].join('\n'), { mode: 0o600 });
    const relay = watchProcess(process.execPath, ['dist/src/cli.js', '--config', configFile], { PATH: process.env.PATH });
    t.teardown(() => {
      relay.child.kill('SIGKILL');
    });
    await relay.waitFor('stderr', /icinga-relay starting/, WAIT_MS);
    for (let waited = 0; hanging.connections() === 0; waited += 50) {
      if (waited > WAIT_MS) throw new Error(`the relay did not connect to the hanging ${name} server`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const started = Date.now();
    relay.child.kill('SIGTERM');
    t.equal(await relay.exited, 0, 'a clean exit, not killed');
    t.comment(`${name}: exited ${Date.now() - started} ms after SIGTERM (shutdown.flush 1 s)`);
    t.match(relay.stderr.join('\n'), /stopping signal=SIGTERM/);
  });
}
