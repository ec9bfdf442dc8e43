/**
 * Lines waiting for their echo at once, against InspIRCd's default flood limits (a burst of about
 * 7 lines, then one per second; lines it has not run yet wait in its 8 KiB receive queue, and a
 * fuller queue gets the client killed: see irc-flood.test.ts). Unthrottled, the relay has one line
 * on its way to each of more people than the queue holds longest lines: only the window
 * (MAX_BYTES_IN_FLIGHT) keeps what waits in the server's queue small enough. Every line arrives
 * at the server's own pace, and the relay stays connected.
 */
import t from 'tap';
import { MAX_BYTES_IN_FLIGHT } from '../../src/chat/irc/backend.js';
import { textBudget } from '../../src/chat/irc/render.js';
import { backendUnderTest, eventually, IrcTestClient, notice, testIrcConfig } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';

/** Longest lines to more people than InspIRCd's 8 KiB receive queue holds: 24 × ~400 bytes. */
const PEOPLE = 24;
/** The server runs one line per second after its burst. */
const DELIVERY_WAIT_MS = (PEOPLE + 30) * 1000;

t.setTimeout(DELIVERY_WAIT_MS + 60_000);

t.test(`longest lines to ${PEOPLE} people at once, unthrottled, against InspIRCd's default flood limits`, async (t) => {
  const server = await startIrcd({ defaultFloodLimits: true });
  t.teardown(() => server.destroy());
  const people = await Promise.all(Array.from({ length: PEOPLE }, (_, i) => IrcTestClient.connect({ port: server.port, nick: `person${String(i).padStart(2, '0')}` })));
  t.teardown(() => Promise.all(people.map((person) => person.quit())));
  const { backend, logger } = backendUnderTest(t, testIrcConfig(server.port, { rate: { burst: 1_000_000, perSecond: 1_000_000 } }));
  await backend.connect();
  t.ok(PEOPLE * textBudget(people[0].nick) > 8 * 1024, 'one line to each would overflow the receive queue');
  t.ok(MAX_BYTES_IN_FLIGHT <= 4 * 1024, 'the lines on their way fit half of it');

  const texts = people.map((person) => `${person.nick} `.padEnd(textBudget(person.nick), 'x'));
  for (const [i, person] of people.entries()) await backend.send(`irc:${person.nick}`, notice(texts[i]));
  await eventually(
    () => people.every((person) => person.messages.length > 0) || logger.lines.some((line) => line.includes('connection lost')),
    'a line at everyone',
    DELIVERY_WAIT_MS,
  );
  t.notOk(logger.lines.some((line) => line.includes('connection lost')), 'the relay stayed connected');
  t.same(
    people.map((person) => person.messages.map((message) => message.text)),
    texts.map((text) => [text]),
    'each line complete, once',
  );
  t.equal(await backend.flush(1_000), 0, 'every line echoed');
});
