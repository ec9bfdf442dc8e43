/**
 * A flood never delays an alert (XMPP): a real Prosody and Icinga2, a relay paced at one message a
 * second. mallory, a user without any role, sends 500 direct messages and 500 room messages of
 * unknown and refused commands as fast as the server takes them while web01!http goes CRITICAL.
 * The alert reaches the room within one send slot (plus 2 s), none is lost, and mallory got no
 * more answers than the commands rate allows.
 */
import t from 'tap';
import { DEFAULT_COMMANDS } from '../../src/config/index.js';
import { startIcinga2 } from '../harness/icinga2.js';
import { MUC_DOMAIN, startProsody, startWatcher } from '../harness/prosody.js';
import { alertUnderFlood, answerBudget, floodLine } from '../helpers/flood.js';
import { relayConfig, startedRelay } from './helpers.js';

const NICK = 'icinga-relay';
const OPS = `ops@${MUC_DOMAIN}`;
const SLOT_MS = 1_000;

t.test('500 direct messages and 500 room messages of unknown and refused commands do not hold back a CRITICAL', async (t) => {
  const [icinga, prosody] = await Promise.all([startIcinga2(), startProsody({ accounts: ['relay', 'bob', 'mallory'] })]);
  t.teardown(() => Promise.all([icinga.destroy(), prosody.destroy()]));
  await icinga.processCheckResult('web01!http', 0, 'HTTP OK');
  const { relay: relayAccount } = prosody.accounts;
  const { relay } = await startedRelay(
    t,
    relayConfig(
      icinga,
      `chat:
  xmpp:
    service: ${prosody.service}
    jid: ${relayAccount.jid}
    password: ${relayAccount.password}
    allow_plaintext: true
    nick: ${NICK}
    rooms: [${OPS}]
    rate: { burst: 1, per_second: ${1000 / SLOT_MS} }
`,
    ),
  );
  const [bob, mallory] = await Promise.all(['bob', 'mallory'].map((name) => startWatcher(prosody, prosody.accounts[name])));
  t.teardown(() => Promise.all([bob, mallory].map((watcher) => watcher.stop())));
  await Promise.all([bob.join(OPS, 'bob'), mallory.join(OPS, 'mallory')]);
  const fromRelay = `${OPS}/${NICK}`;
  const alertSeen = () => bob.messages.some((message) => message.from === fromRelay && !message.delayed && /web01!http/.test(message.text) && /CRITICAL/.test(message.text));

  const outcome = await alertUnderFlood(t, {
    relay,
    send: (index, direct) => (direct ? mallory.sayTo(relayAccount.jid, floodLine(index)) : mallory.sayInRoom(OPS, `!${floodLine(index)}`)),
    raise: () => icinga.processCheckResult('web01!http', 2, 'HTTP CRITICAL - flood test'),
    alertSeen,
    isAlert: (message) => message.service === 'http' && message.host === 'web01',
  });
  t.comment(`XMPP: the CRITICAL reached the room ${outcome.alertDelayMs} ms after the relay handed it over; ${outcome.answers} answers in ${outcome.floodMs} ms of flood`);
  t.ok(outcome.alertDelayMs <= SLOT_MS + 2_000, `the alert within one send slot plus 2 s (${outcome.alertDelayMs} ms)`);
  t.notOk(bob.messages.some((message) => /alerts? dropped/.test(message.text)), 'no alert dropped');
  const budget = answerBudget(DEFAULT_COMMANDS.rate, outcome.floodMs);
  t.ok(outcome.answers <= budget, `mallory got at most the commands rate's worth of answers (${outcome.answers} of at most ${budget}) for 1000 messages`);
  t.match(await relay.metrics.registry.metrics(), /icinga_relay_senders_throttled_total\{backend="xmpp"\} [1-9]/, 'the throttling shows in /metrics');
});
