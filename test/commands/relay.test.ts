/** How the relay wires commands: every backend's messages in, replies out where they were written, by the relay's nick too. */
import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { Relay } from '../../src/relay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { chat, FakeChatBackend } from './helpers.js';

const CHAT = `chat:
  irc: { server: irc.example.org, nick: relaybot, channels: ['#ops'] }
  xmpp: { service: "xmpp://xmpp.example.org", jid: relay@example.org, password: x, nick: icinga, rooms: [ops@conference.example.org] }
  console: {}
`;

function relayWith(backends: FakeChatBackend[]) {
  const { config } = parseConfig(`icinga: { url: "https://127.0.0.1:1", username: u, password: p }\n${CHAT}`, { env: {} });
  const logger = memoryLogger();
  const relay = new Relay(config, { logger, clock: new FakeClock(), backends });
  t.teardown(() => relay.stop());
  return { relay, logger };
}

t.test("the relay's own name in each backend addresses it, as the config names it", async (t) => {
  const irc = new FakeChatBackend('irc', ['irc:#ops']);
  const xmpp = new FakeChatBackend('xmpp', ['xmpp:ops@conference.example.org']);
  const slack = new FakeChatBackend('slack', ['slack:#ops']);
  const { relay } = relayWith([irc, xmpp, slack]);
  await relay.handleMessage(irc, chat('relaybot: whoami', 'irc:alice'));
  await relay.handleMessage(irc, chat('icinga: whoami', 'irc:alice'));
  await relay.handleMessage(xmpp, chat('icinga, whoami', 'xmpp:alice@example.org', { destination: 'xmpp:ops@conference.example.org' }));
  await relay.handleMessage(slack, chat('!whoami', 'slack:U0ALICE', { destination: 'slack:#ops' }));
  t.same(irc.texts(), ['you are irc:alice; your roles here: none']);
  t.same(xmpp.sent, [{ destination: 'xmpp:ops@conference.example.org', message: xmpp.sent[0].message }]);
  t.equal(xmpp.sent[0].message.text, 'you are xmpp:alice@example.org; your roles here: none');
  t.equal(slack.texts().length, 1, 'the prefix works everywhere');
});

t.test('messages a backend delivers reach the dispatcher; a reply that cannot be sent is logged', async (t) => {
  const broken = new (class extends FakeChatBackend {
    async send(destination: string, message: RelayMessage): Promise<void> {
      if (message.eventType === 'Reply') throw new Error('not connected');
      return super.send(destination, message);
    }
  })('irc', ['irc:#ops']);
  const { logger } = relayWith([broken]);
  broken.write(chat('!help', 'irc:alice'));
  for (let i = 0; i < 50 && !logger.lines.some((line) => line.includes('reply failed')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.match(logger.lines.join('\n'), /ERROR reply failed destination=irc:#ops error="not connected"/);
});
