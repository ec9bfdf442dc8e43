/**
 * SIGHUP's reload: Relay.replace() keeps, connected, every backend whose chat.<name> block is
 * deep-equal to the running one, and closes and remakes the others.
 */
import t from 'tap';
import type { ChatBackend, IncomingMessage } from '../src/chat/backend.js';
import { parseConfig, type ChatConfig, type RelayConfig } from '../src/config.js';
import { memoryLogger } from '../src/log.js';
import type { RelayMessage } from '../src/message.js';
import { Relay } from '../src/relay.js';
import { FakeClock } from './helpers/fake-clock.js';

class CountingBackend implements ChatBackend {
  readonly connected = true;
  connects = 0;
  closes = 0;
  readonly sent: string[] = [];
  readonly handlers: ((message: IncomingMessage) => void)[] = [];
  constructor(
    readonly name: string,
    readonly destinations: string[],
  ) {}
  async connect() {
    this.connects++;
  }
  async send(_destination: string, message: RelayMessage) {
    this.sent.push(message.text);
  }
  onMessage(handler: (message: IncomingMessage) => void) {
    this.handlers.push(handler);
  }
  async close() {
    this.closes++;
  }
}

function setup() {
  const made: CountingBackend[] = [];
  const createBackends = (chat: ChatConfig) =>
    Object.keys(chat).map((name) => {
      const backend = new CountingBackend(name, name === 'console' ? ['console'] : [`${name}:#ops`]);
      made.push(backend);
      return backend;
    });
  const clock = new FakeClock();
  const dependencies = () => ({ logger: memoryLogger(), clock, random: () => 0.5, createBackends });
  return { made, dependencies };
}

const config = (options: { width?: number; timestamps?: string; channel?: string }): RelayConfig =>
  parseConfig(
    [
      'icinga:',
      '  url: https://127.0.0.1:1',
      '  username: u',
      '  password: p',
      'format:',
      `  width: ${options.width ?? 400}`,
      'chat:',
      '  console:',
      `    timestamps: ${options.timestamps ?? 'never'}`,
      '  irc:',
      '    server: irc.example.org',
      `    channels: ["${options.channel ?? '#ops'}"]`,
      '',
    ].join('\n'),
    { env: {} },
  ).config;

t.test('a reload that changes only format.width keeps every backend instance, connected', async (t) => {
  const { made, dependencies } = setup();
  const first = new Relay(config({}), dependencies());
  await first.start();
  t.same(made.map((b) => [b.name, b.connects]), [['console', 1], ['irc', 1]]);
  const second = await first.replace(config({ width: 40 }), dependencies());
  t.not(second, first);
  t.equal(made.length, 2, 'no backend made anew');
  t.ok(made.every((b) => second.backends.includes(b)), 'the new relay uses the same instances');
  t.same(made.map((b) => [b.connects, b.closes]), [[1, 0], [1, 0]], 'neither reconnected nor closed');
  await second.stop();
  t.same(made.map((b) => b.closes), [1, 1]);
});

t.test('a changed backend block is closed and replaced; the unchanged one stays', async (t) => {
  const { made, dependencies } = setup();
  const first = new Relay(config({}), dependencies());
  await first.start();
  const [console, oldIrc] = made;
  const second = await first.replace(config({ channel: '#noc' }), dependencies());
  t.equal(made.length, 3, 'one backend made anew');
  const newIrc = made[2];
  t.equal(newIrc.name, 'irc');
  t.same([oldIrc.connects, oldIrc.closes], [1, 1], 'the old irc connection was closed');
  t.same([newIrc.connects, newIrc.closes], [1, 0], 'the new one connected');
  t.same([console.connects, console.closes], [1, 0], 'the console stayed');
  t.ok(second.backends.includes(console) && second.backends.includes(newIrc) && !second.backends.includes(oldIrc));
  await second.stop();
});

t.test('commands on a carried-over backend run once, through the new relay only', async (t) => {
  const { made, dependencies } = setup();
  const first = new Relay(config({}), dependencies());
  await first.start();
  const second = await first.replace(config({ width: 60 }), dependencies());
  const console = made[0];
  t.equal(console.handlers.length, 2, 'both relays registered a handler');
  for (const handler of console.handlers) handler({ destination: 'console', text: 'help', direct: true, sender: { identity: 'console', displayName: 'op' } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(console.sent.length > 0, 'the help reply went out');
  const replies = console.sent.length;
  for (const handler of console.handlers.slice(0, 1)) handler({ destination: 'console', text: 'help', direct: true, sender: { identity: 'console', displayName: 'op' } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(console.sent.length, replies, 'the stopped relay ignores it');
  await second.stop();
});
