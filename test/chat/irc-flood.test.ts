/**
 * Flood control against InspIRCd's default limits: a penalty threshold of 10, commandrate 1000
 * (one command per second) with fakelag, an 8 KiB receive queue. Measured on InspIRCd 3.15:
 * - The server runs a burst of about 7 lines, then exactly one line per second, however fast
 *   they come; lines it has not run yet wait in the receive queue.
 * - Without echo-message, 2 lines/s (burst 5) filled the 8 KiB queue with 300-character lines
 *   in 14 s: the server killed the client ("RecvQ exceeded") and the ~25 queued lines were lost.
 *   1 line/s (burst 5) delivered 100 lines, complete and in order, in 96 s.
 * - With echo-message the backend waits for each line's echo, so the server's pace is its pace
 *   and no rate can overflow the queue (40 unthrottled lines: all delivered, one per second).
 *
 * So 1 line/s after a burst of 5 is the fastest rate these defaults tolerate; this test runs
 * just under it on a server without echo-message, where the throttle alone keeps the relay alive.
 * The 300 lines take about five minutes at the server's own pace, whatever the relay does,
 * far beyond the suite's per-file timeout, hence setTimeout below; it runs beside the others.
 * The defaults of the `irc` config (burst 4, 0.5/s) are half that, for networks stricter than
 * a default InspIRCd.
 */
import t from 'tap';
import { backendUnderTest, eventually, IrcTestClient, notice, testIrcConfig } from '../harness/irc-client.js';
import { startIrcd } from '../harness/ircd.js';

const LINES = 300;
// Just under the fastest rate the defaults tolerate: at exactly 1/s a busy test machine's timer
// jitter once let the receive queue overflow (line 216 of 300).
const RATE = { burst: 4, perSecond: 0.9 };

t.setTimeout(480_000);

t.test(`${LINES} lines of 300 characters against InspIRCd's default flood limits`, async (t) => {
  const server = await startIrcd({ defaultFloodLimits: true, echoMessage: false });
  t.teardown(() => server.destroy());
  const watcher = await IrcTestClient.connect({ port: server.port, nick: 'watcher' });
  t.teardown(() => watcher.quit());
  await watcher.join('#ops');
  const { backend, logger } = backendUnderTest(t, testIrcConfig(server.port, { rate: RATE, queueSize: LINES }));
  await backend.connect();

  const texts = Array.from({ length: LINES }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(296)}`);
  for (const text of texts) await backend.send('irc:#ops', notice(text));
  await eventually(
    () => watcher.messages.length >= LINES || logger.lines.some((line) => line.includes('connection lost')),
    `${LINES} lines at the watcher`,
    450_000,
  );
  t.same(
    watcher.messages.map((message) => message.text),
    texts,
    'every line complete, in order',
  );
  t.notOk(logger.lines.some((line) => line.includes('connection lost')), 'the relay stayed connected');
  t.notOk(watcher.lines.some((line) => / QUIT /.test(line)), 'the server did not kill the relay');
});
