/**
 * The built relay (`dist/src/cli.js`) with a chat backend that cannot connect: IRC with
 * `tls: true` against a real InspIRCd's plain-text port, which answers a TLS ClientHello with
 * silence. The event stream and the other backends do not wait for it, its failure says to
 * check the port, and SIGTERM runs the stop sequence while it is still trying.
 */
import t from 'tap';
import { startIcinga2 } from './harness/icinga2.js';
import { startIrcd } from './harness/ircd.js';
import { relayProcesses } from './helpers/process.js';
import { relayConfigFile } from './commands/helpers.js';

t.test('a chat backend that cannot connect holds up neither the stream nor the console, and SIGTERM still stops cleanly', async (t) => {
  const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
  t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
  const configFile = relayConfigFile(icinga, [`  ca_file: ${icinga.caFile}`], [
    'chat:',
    '  console:',
    '    timestamps: never',
    '  irc:',
    '    server: 127.0.0.1',
    `    port: ${ircd.port}`,
    '    tls: true',
    '    nick: relay',
    "    channels: ['#ops']",
  ]);
  const startRelay = relayProcesses(t, configFile);

  const relay = startRelay();
  await relay.waitFor('stderr', /event stream connected/, 20_000);
  await icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - refused');
  await relay.waitFor('stdout', /^#\d+ CRITICAL web01!http: HTTP CRITICAL - refused/, 20_000);
  const failed = await relay.waitFor('stderr', /could not connect to the IRC server/, 20_000);
  t.match(failed, /no TLS handshake from 127\.0\.0\.1:\d+ within 5 s: is this port TLS\? \(set tls: false for a plain-text port/);
  relay.child.kill('SIGTERM');
  t.equal(await relay.exited, 0, 'exit 0 after the stop sequence');
  t.match(relay.stderr.join('\n'), /stopping .*signal=SIGTERM/);

  // SIGTERM the moment the IRC attempt starts, long before it can fail.
  const early = startRelay();
  await early.waitFor('stderr', /connecting to the IRC server/, 20_000);
  early.child.kill('SIGTERM');
  t.equal(await early.exited, 0, 'exit 0, not 143: the handler was there before the backends started connecting');
  t.match(early.stderr.join('\n'), /stopping .*signal=SIGTERM/);
});
