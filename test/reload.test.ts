/**
 * SIGHUP's reload: Relay.replace() keeps, connected, every backend whose chat.<name> block is
 * deep-equal to the running one, and closes and remakes the others.
 */
import t from 'tap';
import { parseConfig, type ChatConfig, type RelayConfig } from '../src/config/index.js';
import { memoryLogger } from '../src/log.js';
import type { RelayMessage } from '../src/message.js';
import { Relay } from '../src/relay.js';
import { FakeBackend } from './helpers/fake-backend.js';
import { FakeClock } from './helpers/fake-clock.js';

function setup() {
  const made: FakeBackend[] = [];
  const createBackends = async (chat: ChatConfig) =>
    Object.keys(chat).map((name) => {
      const backend = new FakeBackend(name, name === 'console' ? ['console'] : [`${name}:#ops`]);
      made.push(backend);
      return backend;
    });
  const clock = new FakeClock();
  const dependencies = () => ({ logger: memoryLogger(), clock, random: () => 0.5, createBackends });
  return { made, dependencies, clock };
}

const config = (options: { width?: number; timestamps?: string; channel?: string; muteFor?: string }): RelayConfig =>
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
      ...(options.muteFor === undefined ? [] : ['noise:', `  mute_for: ${options.muteFor}`]),
      '',
    ].join('\n'),
    { env: {} },
  ).config;

t.test('a reload that changes only format.width keeps every backend instance, connected', async (t) => {
  const { made, dependencies } = setup();
  const first = await Relay.create(config({}), dependencies());
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
  const first = await Relay.create(config({}), dependencies());
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
  const first = await Relay.create(config({}), dependencies());
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

const downMessage = (host: string): RelayMessage => ({
  eventType: 'StateChange',
  severity: 'critical',
  host,
  state: 'DOWN',
  stateType: 'HARD',
  text: `DOWN ${host}`,
  timestamp: 0,
  fields: { object: host },
});

t.test('a reload with the same noise settings carries noise control over: mutes, storm windows and dedup go on', async (t) => {
  const { made, dependencies, clock } = setup();
  const first = await Relay.create(config({ muteFor: '2h' }), dependencies());
  await first.start();
  first.noise.mutes.add({ destination: 'irc:#ops', pattern: 'db*', until: clock.now() + 3_600_000, author: 'alice' });
  first.noise.submit('irc:#ops', downMessage('web1'));
  first.noise.submit('irc:#ops', downMessage('web2'));
  const second = await first.replace(config({ muteFor: '2h', timestamps: 'always' }), dependencies());
  t.equal(second.noise, first.noise, 'the same noise control');
  t.same(second.noise.mutes.list('irc:#ops').map((mute) => mute.pattern), ['db*'], 'the mute survived the reload');
  second.noise.submit('irc:#ops', downMessage('db1'));
  second.noise.submit('irc:#ops', downMessage('web1'));
  const irc = made.find((backend) => backend.name === 'irc')!;
  await second.stop({ flushMs: 1 });
  t.same(irc.texts(), ['#1 DOWN web1', '#2 DOWN web2'], 'web2 waited in the storm window across the reload; db1 muted; web1 deduplicated');
});

t.test('a reload that changes the noise settings starts noise control afresh and logs what was waiting', async (t) => {
  const { made, dependencies } = setup();
  const logger = memoryLogger();
  const first = await Relay.create(config({ muteFor: '2h' }), { ...dependencies(), logger });
  await first.start();
  first.noise.submit('irc:#ops', downMessage('web1'));
  first.noise.submit('irc:#ops', downMessage('web2'));
  const second = await first.replace(config({ muteFor: '3h' }), dependencies());
  t.not(second.noise, first.noise);
  t.match(logger.lines.join('\n'), /reloading: chat connections .*noise="reset \(its settings changed\)"/);
  t.match(logger.lines.join('\n'), /stopped with events not sent component=noise destination=irc:#ops count=1/);
  second.noise.submit('irc:#ops', downMessage('web1'));
  await second.stop();
  t.same(made.find((backend) => backend.name === 'irc')!.texts(), ['#1 DOWN web1', '#1 DOWN web1'], 'a new dedup window; the problem and its reference carry over');
});
