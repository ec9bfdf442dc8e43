/**
 * A flood never delays an alert (IRC): a real InspIRCd and Icinga2, a relay paced at one line a
 * second. mallory, with no account, sends 500 direct messages and 500 channel lines of unknown
 * and refused commands as fast as the server takes them while web01!http goes CRITICAL. The alert
 * reaches #ops within one send slot (plus 2 s for the machine), no alert is lost, and mallory got
 * no more answers than the commands rate allows.
 */
import t from 'tap';
import { DEFAULT_COMMANDS } from '../../src/config/index.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { IrcTestClient } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';
import { alertUnderFlood, answerBudget, floodLine } from '../helpers/flood.js';
import { relayConfig, startedRelay } from './helpers.js';

const NICK = 'icinga-relay';
const SLOT_MS = 1_000;

t.test('500 direct messages and 500 channel lines of unknown and refused commands do not hold back a CRITICAL', async (t) => {
  const [icinga, ircd] = await Promise.all([startIcinga2(), startIrcd()]);
  t.teardown(() => Promise.all([icinga.destroy(), ircd.destroy()]));
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  const { relay } = await startedRelay(
    t,
    relayConfig(
      icinga,
      `chat:
  irc:
    server: 127.0.0.1
    port: ${ircd.port}
    tls: false
    nick: ${NICK}
    channels: ['#ops']
    colours: false
    rate: { burst: 1, per_second: ${1000 / SLOT_MS} }
`,
    ),
  );
  const [watcher, mallory] = await Promise.all(['watcher', 'mallory'].map((nick) => IrcTestClient.connect({ port: ircd.port, nick })));
  t.teardown(() => Promise.all([watcher, mallory].map((client) => client.quit())));
  await Promise.all([watcher.join('#ops'), mallory.join('#ops')]);
  const alertLines = () => watcher.messages.filter((message) => message.nick === NICK && message.target === '#ops' && /web01!http/.test(message.text) && /CRITICAL/.test(message.text));

  const outcome = await alertUnderFlood(t, {
    relay,
    send: (index, direct) => (direct ? mallory.say(NICK, floodLine(index)) : mallory.say('#ops', `!${floodLine(index)}`)),
    raise: () => icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - flood test'),
    alertSeen: () => alertLines().length > 0,
    isAlert: (message) => message.service === 'http' && message.host === 'web01',
  });
  t.comment(`IRC: the CRITICAL reached #ops ${outcome.alertDelayMs} ms after the relay handed it over; ${outcome.answers} answers in ${outcome.floodMs} ms of flood`);
  t.ok(outcome.alertDelayMs <= SLOT_MS + 2_000, `the alert within one send slot plus 2 s (${outcome.alertDelayMs} ms)`);
  t.notOk(watcher.messages.some((message) => /alerts? dropped/.test(message.text)), 'no alert dropped');
  const budget = answerBudget(DEFAULT_COMMANDS.rate, outcome.floodMs);
  t.ok(outcome.answers <= budget, `mallory got at most the commands rate's worth of answers (${outcome.answers} of at most ${budget}) for 1000 lines`);
  const metrics = await relay.metrics.registry.metrics();
  t.match(metrics, /icinga_relay_senders_throttled_total\{backend="irc"\} [1-9]/, 'the throttling shows in /metrics');
  t.match(metrics, /icinga_relay_commands_total\{outcome="rate-limited",command=""\} \d{3}/, 'every line over budget counted');
});
