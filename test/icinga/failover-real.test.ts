/**
 * HA failover against a real Icinga2: the first configured URL is a dead port, the second the
 * real API. The stream fails over and relays; the commands' actions follow it to the live master.
 */
import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import { Relay } from '../../src/relay.js';
import { chat, EVENT_WAIT_MS, FakeChatBackend, waitUntil } from '../commands/helpers.js';
import { freePort, startIcinga2 } from '../harness/icinga2.js';

t.test('a dead first URL: the relay fails over to the second, relays its events and acts on it', async (t) => {
  const icinga = await startIcinga2();
  t.teardown(() => icinga.destroy());
  const dead = `https://127.0.0.1:${await freePort()}`;
  const user = icinga.users.relay;
  const { config } = parseConfig(
    [
      'icinga:',
      `  url: [${dead}, ${icinga.url}]`,
      `  ca_file: ${icinga.caFile}`,
      `  username: ${user.username}`,
      '  password: ${PASSWORD}',
      '  reconnect: { min: 1s, max: 2s }',
      'access:',
      '  users:',
      '    "irc:alice": [operator]',
    ].join('\n'),
    { env: { PASSWORD: user.password } },
  );
  const backend = new FakeChatBackend('irc', ['irc:#ops']);
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, backends: [backend] });
  t.teardown(() => relay.stop());
  await relay.start();
  await waitUntil(() => relay.stream.connected || undefined, EVENT_WAIT_MS, () => `the event stream; the log:\n${logger.lines.join('\n')}`);
  t.equal(relay.stream.url, icinga.url);
  const log = logger.lines.join('\n');
  t.match(log, new RegExp(`WARN connection refused by 127\\.0\\.0\\.1:\\d+.* url=${dead.replace(/[.:/]/g, '\\$&')} retryInMs=0`));
  t.match(log, `WARN failing over to ${icinga.url} component=icinga from=${dead}`);

  await icinga.processCheckResult('web02!disk', 2, 'DISK CRITICAL - failover test');
  await waitUntil(() => backend.texts().find((text) => text.includes('web02!disk')), EVENT_WAIT_MS, () => `the event; sent: ${JSON.stringify(backend.texts())}`);

  // The actions connection switched to the URL the stream uses: a command reaches Icinga2.
  await relay.handleMessage(backend, chat('!recheck web02!disk', 'irc:alice'));
  t.match(await relay.metrics.registry.metrics(), /icinga_relay_commands_total\{outcome="ok",command="recheck"\} 1/, backend.texts().join('\n'));
});
