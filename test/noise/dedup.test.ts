import t from 'tap';
import { objectOf, stateReport } from '../../src/noise/reports.js';
import { fixture, formatted, noiseWith, notification, recordedStream, stateChange } from '../helpers/noise.js';

t.test('one PROBLEM with two Notification objects gives one message', async (t) => {
  const { noise, texts } = noiseWith();
  const dba = formatted(fixture('Notification-service-problem-dba'));
  const oncall = { ...dba, text: dba.text.replace('dbadmin', 'oncall'), fields: { ...dba.fields, users: 'oncall' } };
  noise.submit('irc:#ops', dba);
  noise.submit('irc:#ops', oncall);
  t.same(texts(), [dba.text]);
});

t.test('the recorded stream: duplicate notifications and StateChange + Notification pairs give one message per change', async (t) => {
  // No grouping and no rate limit: this test is about which reports survive dedup.
  const { noise, sent, clock } = noiseWith({ storm: { windowMs: 1000, groupFrom: 1000, names: 5, hostLines: 3 }, rate: { burst: 1000, perSecond: 1000 } });
  const messages = recordedStream();
  for (const message of messages) {
    noise.submit('irc:#ops', message);
    clock.advance(1);
  }
  clock.advance(10_000);
  const changes = (object: string, state: string) =>
    sent.filter(({ message }) => stateReport(message)?.object === object && message.state === state).map(({ message }) => message.text);
  const notices = (object: string, type: string) =>
    sent.filter(({ message }) => objectOf(message) === object && message.fields.notification_type === type);
  // Recorded: StateChange, then PROBLEM to dbadmin, then PROBLEM to oncall.
  t.equal(changes('db01!disk', 'WARNING').length, 1, 'db01!disk WARNING once');
  t.match(changes('db01!disk', 'WARNING')[0], /^WARNING db01!disk/, 'the first report (the StateChange) is the one kept');
  t.equal(changes('web01!http', 'CRITICAL').length, 1, 'web01!http CRITICAL once');
  t.equal(changes('web01!http', 'OK').length, 2, 'web01!http OK: the initial state, and the recovery once');
  t.equal(notices('db01!http', 'DOWNTIMESTART').length, 1, 'a DOWNTIMESTART to two users once');
  t.equal(notices('db01!load', 'DOWNTIMEEND').length, 1, 'a DOWNTIMEEND to two users once');
  t.equal(notices('web01!http', 'ACKNOWLEDGEMENT').length, 1);
  const timestamps = sent.map((s) => s.message.timestamp);
  t.same(timestamps, [...timestamps].sort((a, b) => a - b), 'what goes out keeps the order it came in');
});

t.test('StateChange and the notification of the same change count once; a new change is news however quick', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  clock.advance(5_000);
  noise.submit('irc:#ops', stateChange('web01!http', 'OK'));
  noise.submit('irc:#ops', notification('web01!http', 'RECOVERY', 'OK'));
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(5_000);
  t.same(texts(), ['CRITICAL web01!http', 'OK web01!http', 'CRITICAL web01!http']);
});

t.test('a repeat after the window is a reminder and goes out; each destination dedups on its own', async (t) => {
  const { noise, texts, clock } = noiseWith();
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  noise.submit('irc:#noc', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  clock.advance(61_000);
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  t.equal(texts('irc:#ops').length, 2);
  t.equal(texts('irc:#noc').length, 1);
});

t.test('dedup.types: event types left out are never taken for repeats', async (t) => {
  const { noise, texts, clock } = noiseWith({ dedup: { windowMs: 60_000, types: ['Notification'] } });
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL', 'dbadmin'));
  clock.advance(2_000);
  t.same(texts(), ['CRITICAL web01!http', 'CRITICAL web01!http', '[PROBLEM] web01!http is CRITICAL (notified oncall)']);
});

t.test('keep: notification: a HARD StateChange waits for its notification, which is the message kept', async (t) => {
  const { noise, texts, clock } = noiseWith({ dedup: { windowMs: 60_000, types: ['StateChange', 'Notification', 'Flapping'], keep: 'notification', holdMs: 6_000 } });
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(5_000);
  t.same(texts(), [], 'held while the notification may still come');
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL', 'dbadmin'));
  clock.advance(10_000);
  t.same(texts(), ['[PROBLEM] web01!http is CRITICAL (notified oncall)'], 'the first notification replaced the StateChange; the second is a repeat');
});

t.test('keep: notification: a lone StateChange goes out when the hold ends; a newer change releases it first, in order', async (t) => {
  const { noise, texts, clock } = noiseWith({
    dedup: { windowMs: 60_000, types: ['StateChange', 'Notification', 'Flapping'], keep: 'notification', holdMs: 6_000 },
    storm: { windowMs: 1_000, groupFrom: 1000, names: 5, hostLines: 3 },
  });
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  clock.advance(5_999);
  t.same(texts(), []);
  clock.advance(1);
  t.same(texts(), ['CRITICAL web01!http'], 'out after exactly the hold');
  noise.submit('irc:#ops', notification('web01!http', 'PROBLEM', 'CRITICAL'));
  clock.advance(1_000);
  t.same(texts(), ['CRITICAL web01!http'], 'a notification after the hold is a repeat');

  noise.submit('irc:#ops', stateChange('db01!disk', 'CRITICAL'));
  clock.advance(100);
  noise.submit('irc:#ops', stateChange('db01!disk', 'OK'));
  clock.advance(6_000);
  t.same(texts(), ['CRITICAL web01!http', 'CRITICAL db01!disk', 'OK db01!disk'], 'the held CRITICAL went out before the OK that followed it');
});

t.test('keep: notification: what is still held when noise control closes is logged as not sent', async (t) => {
  const { noise, texts, logger } = noiseWith({ dedup: { windowMs: 60_000, types: ['StateChange', 'Notification', 'Flapping'], keep: 'notification', holdMs: 6_000 } });
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  noise.close();
  t.same(texts(), []);
  t.match(logger.lines.join('\n'), /stopped with events not sent.*1 CRITICAL/);
});

t.test('keep: first (the default) holds nothing', async (t) => {
  const { noise, texts } = noiseWith();
  noise.submit('irc:#ops', stateChange('web01!http', 'CRITICAL'));
  t.same(texts(), ['CRITICAL web01!http']);
});

t.test('custom notifications: the copy to other users is a repeat, another text from the same author is news', async (t) => {
  const { noise, texts, clock } = noiseWith();
  const custom = fixture('Notification-service-custom');
  noise.submit('irc:#ops', formatted(custom));
  noise.submit('irc:#ops', formatted({ ...custom, users: ['someone-else'] }));
  noise.submit('irc:#ops', formatted({ ...custom, text: 'and now for something else' }));
  noise.submit('irc:#ops', formatted({ ...custom, author: 'mallory' }));
  clock.advance(10_000);
  const sent = texts();
  t.equal(sent.length, 3, `sent: ${JSON.stringify(sent)}`);
  t.match(sent[1], /and now for something else/);
  t.match(sent[2], /mallory/);
});
