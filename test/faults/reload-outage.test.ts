/**
 * SIGHUP (Relay.replace) during an Icinga2 outage: the outage goes on in the new relay as one
 * outage. "back in contact" follows the "lost contact" posted before the reload, and the
 * catch-up calls the gap what it was (the stream was down, from when it went down), not a stop
 * of the relay.
 */
import t from 'tap';
import { startIcinga2 } from '../harness/icinga2.js';
import { EVENT_WAIT_MS, waitUntil } from '../commands/helpers.js';
import { connectedRelay, faultRelayConfig, startBlackholeProxy } from '../helpers/faults.js';
import { memoryLogger } from '../../src/log.js';

t.test('a reload during an Icinga2 outage keeps the outage and the reason for the gap', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const proxy = await startBlackholeProxy(icinga.port);
  t.teardown(() => proxy.close());
  const stateDir = t.testdir();
  const config = () =>
    faultRelayConfig({
      urls: [`https://127.0.0.1:${proxy.port}`],
      caFile: icinga.caFile,
      user: icinga.users.relay,
      icinga: ['request_timeout: 2s'],
      extra: [
        'chat:',
        '  irc: { server: irc.example.org, channels: ["#ops"] }',
        'state:',
        `  dir: ${stateDir}`,
        'silence:',
        '  after: 1s',
        '  notify: [irc:#ops]',
      ].join('\n'),
    });
  const { relay, chat } = await connectedRelay(t, config());

  proxy.cut();
  await waitUntil(() => chat.texts().find((text) => text.startsWith('lost contact with Icinga2')), EVENT_WAIT_MS, () => `"lost contact"; sent:\n${chat.texts().join('\n')}`);
  // Changed while the relay cannot see it: only the catch-up can tell.
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - during the outage');

  const logger = memoryLogger();
  const reloaded = await relay.replace(config(), { logger });
  t.teardown(() => reloaded.stop());
  t.ok(reloaded.backends.includes(chat), 'the chat backend carried over');
  const from = chat.sent.length;
  proxy.restore();

  await waitUntil(() => chat.texts(from).find((text) => text.startsWith('While')), EVENT_WAIT_MS, () => `the catch-up; sent:\n${chat.texts().join('\n')}\nlog:\n${logger.lines.join('\n')}`);
  const after = chat.texts(from);
  t.match(after.find((text) => text.startsWith('back in contact')), /^back in contact with Icinga2 after \d+ s$/, 'the outage that began before the reload is ended');
  t.match(after.find((text) => text.startsWith('While')), /^While the Icinga2 stream was down \(\d+ s\): 1 new problem: web01!http CRITICAL$/);
  t.notOk(after.some((text) => text.includes('relay was stopped')), 'the relay ran the whole time');
  t.equal(chat.texts().filter((text) => text.startsWith('lost contact')).length, 1, 'told once, not again after the reload');
});
