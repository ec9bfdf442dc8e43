/** Commands typed on the console: who they come from, when stdin is read, and the replies on stdout. */
import { userInfo } from 'node:os';
import { PassThrough } from 'node:stream';
import t from 'tap';
import type { IncomingMessage } from '../../src/chat/backend.js';
import { ConsoleBackend, type ConsoleOptions } from '../../src/chat/console/backend.js';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { freePort } from '../harness/icinga2.js';
import { waitUntil } from './helpers.js';

function consoleWith(options: Partial<ConsoleOptions>, isTTY = false) {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk) => (printed += chunk));
  const backend = new ConsoleBackend({ timestamps: 'never', input, output, user: 'operator', ...options });
  const received: IncomingMessage[] = [];
  backend.onMessage((message) => received.push(message));
  return { backend, input, received, printed: () => printed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('each typed line is a direct command from the console identity', async (t) => {
  const { backend, input, received } = consoleWith({ commands: 'always' });
  await backend.connect();
  await backend.connect();
  input.write('ack web01!http looking\r\nstatus web01\n');
  await tick();
  t.same(received, [
    { destination: 'console', text: 'ack web01!http looking', direct: true, sender: { identity: 'console', displayName: 'operator' } },
    { destination: 'console', text: 'status web01', direct: true, sender: { identity: 'console', displayName: 'operator' } },
  ]);
  await backend.close();
  input.write('whoami\n');
  await tick();
  t.equal(received.length, 2, 'nothing is read after close');
  await backend.close();
});

t.test('when stdin is read: always, never, or auto (a terminal yes; /dev/null, files and injected streams no)', async (t) => {
  const typed = async (options: Partial<ConsoleOptions>, isTTY = false) => {
    const { backend, input, received } = consoleWith(options, isTTY);
    await backend.connect();
    input.write('help\n');
    await tick();
    await backend.close();
    return received.length;
  };
  t.equal(await typed({ commands: 'never' }, true), 0);
  t.equal(await typed({ commands: 'auto' }, true), 1, 'a terminal');
  t.equal(await typed({}, true), 1, 'auto is the default');
  t.equal(await typed({ commands: 'auto' }, false), 0, 'not a terminal, and not the process stdin');
  const silent = new ConsoleBackend({ timestamps: 'never', output: new PassThrough(), commands: 'always' });
  await silent.connect();
  await silent.close();
  t.pass('without a handler nothing is read, not even the real stdin');
  const { backend, input, received } = consoleWith({ commands: 'always', user: undefined });
  await backend.connect();
  input.write('whoami\n');
  await tick();
  await backend.close();
  t.equal(received[0].sender.displayName, userInfo().username, 'the local user name by default');

  // A container user without a passwd entry has no name to look up.
  const { ConsoleBackend: Nameless } = await t.mockImport<typeof import('../../src/chat/console/backend.js')>('../../src/chat/console/backend.js', {
    'node:os': {
      userInfo: () => {
        throw new Error('ENOENT: no such file or directory, uv_os_get_passwd');
      },
    },
  });
  const typing = new PassThrough();
  const nameless = new Nameless({ timestamps: 'never', input: typing, output: new PassThrough(), commands: 'always' });
  const names: string[] = [];
  nameless.onMessage((message) => names.push(message.sender.displayName));
  await nameless.connect();
  typing.write('whoami\n');
  await tick();
  await nameless.close();
  t.same(names, ['console']);
});

t.test('through the relay: replies come back on stdout, one line each, and Icinga2 being away is said plainly', async (t) => {
  const port = await freePort();
  const { config } = parseConfig(`icinga: { url: "https://127.0.0.1:${port}", username: u, password: p }\n`, { env: {} });
  const { backend, input, printed } = consoleWith({ commands: 'always', user: 'root' });
  const clock = new FakeClock();
  const relay = new Relay(config, { logger: memoryLogger(), clock, backends: [backend] });
  t.teardown(() => relay.stop());
  await backend.connect();
  input.write('whoami\nstatus web01!http\n');
  // A refused connection is retried for 10 s of the fake clock, moved a second per look.
  await waitUntil(() => (clock.advance(1_000), printed().split('\n').length > 3 || undefined), 10_000, () => `three replies; printed: ${printed()}`);
  t.same(printed().split('\n'), [
    'you are console; your roles here: operator',
    'Icinga2 refused the connection (it does while reloading): the relay retries for up to 10 s',
    `cannot reach Icinga2: connection refused by 127.0.0.1:${port}: is Icinga2 running, and is icinga.url right?`,
    '',
  ]);
});
