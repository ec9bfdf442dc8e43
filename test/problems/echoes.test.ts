import t from 'tap';
import type { RelayMessage } from '../../src/message.js';
import { ActionEchoes, FOLD_MS, type ChatAction } from '../../src/problems/echoes.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { notification, stateChange } from '../helpers/noise.js';

function event(eventType: string, object: string, fields: RelayMessage['fields'] = {}): RelayMessage {
  const [host, service] = object.split('!');
  return { eventType, severity: 'info', host, service, text: `${eventType} ${object}`, timestamp: 1, fields };
}

const ALICE = 'alice (via irc)';
const action = (command: string, object: string, extra: Partial<ChatAction> = {}): ChatAction => {
  const [host, service] = object.split('!');
  return { destination: 'irc:#ops', command, author: ALICE, host, service: service === '*' ? undefined : service, allServices: service === '*', ...extra };
};

t.test('an ack from chat: its events are not posted again where it was typed; elsewhere one line', async (t) => {
  const clock = new FakeClock();
  const echoes = new ActionEchoes(clock);
  echoes.expect(action('ack', 'web01!http'));
  const caused = [
    event('AcknowledgementSet', 'web01!http', { author: ALICE, comment: 'looking' }),
    event('CommentAdded', 'web01!http', { author: ALICE, entry_type: 'acknowledgement' }),
    notification('web01!http', 'ACKNOWLEDGEMENT', 'CRITICAL'),
  ];
  t.same(caused.map((message) => echoes.folds('irc:#ops', message)), [true, true, true], 'the reply says it all');
  t.same(caused.map((message) => echoes.folds('irc:#noc', message)), [false, true, true], 'elsewhere: the acknowledgement, with its comment, once');
  t.notOk(echoes.folds('irc:#ops', event('AcknowledgementSet', 'web01!http', { author: 'bob' })), 'someone else acking is news');
  t.notOk(echoes.folds('irc:#ops', event('AcknowledgementSet', 'web01!disk', { author: ALICE })), 'another object is news');
  t.notOk(echoes.folds('irc:#ops', event('CommentAdded', 'web01!http', { author: ALICE, entry_type: 'user' })), 'a comment of her own is news');
  t.notOk(echoes.folds('irc:#ops', stateChange('web01!http', 'OK')), 'state changes always go out');
  clock.advance(FOLD_MS);
  t.notOk(echoes.folds('irc:#ops', event('AcknowledgementSet', 'web01!http', { author: ALICE })), 'not after the fold window');
});

t.test('downtime host!* from chat: nothing but the reply for the host and its services', async (t) => {
  const clock = new FakeClock();
  const echoes = new ActionEchoes(clock);
  echoes.expect(action('downtime', 'db01!*'));
  const caused = ['db01', 'db01!disk', 'db01!load'].flatMap((object) => [
    event('DowntimeAdded', object, { author: ALICE, end_time: clock.now() / 1000 + 3600 }),
    event('CommentAdded', object, { author: ALICE, entry_type: 'downtime' }),
    event('DowntimeStarted', object, { author: ALICE }),
    notification(object, 'DOWNTIMESTART', 'OK'),
  ]);
  t.same(caused.filter((message) => !echoes.folds('irc:#ops', message)).map((message) => message.text), []);
  t.notOk(echoes.folds('irc:#ops', event('DowntimeAdded', 'db02', { author: ALICE })), 'another host');
  clock.advance(3_600_000);
  t.ok(echoes.folds('irc:#ops', notification('db01!disk', 'DOWNTIMEEND', 'OK')), 'the end of a shown downtime is its DowntimeRemoved, not the notification');
});

t.test('a downtime set elsewhere: one line when added, one when removed; its start and notifications fold', async (t) => {
  const clock = new FakeClock();
  const echoes = new ActionEchoes(clock);
  const lines = [
    event('DowntimeAdded', 'web02', { author: 'dbadmin', end_time: clock.now() / 1000 + 600 }),
    event('CommentAdded', 'web02', { author: 'dbadmin', entry_type: 'downtime' }),
    event('DowntimeStarted', 'web02', { author: 'dbadmin' }),
    notification('web02', 'DOWNTIMESTART', 'UP'),
    event('DowntimeRemoved', 'web02', { author: 'dbadmin' }),
    notification('web02', 'DOWNTIMEEND', 'UP'),
  ].filter((message) => !echoes.folds('irc:#ops', message));
  t.same(lines.map((message) => message.eventType), ['DowntimeAdded', 'DowntimeRemoved']);
  t.notOk(echoes.folds('irc:#ops', event('DowntimeStarted', 'web01', {})), 'the start of a downtime never shown is news');
  t.notOk(echoes.folds('irc:#ops', notification('web01', 'DOWNTIMESTART', 'UP')), 'and so is its notification');
  t.notOk(echoes.folds('irc:#ops', notification('web01', 'ACKNOWLEDGEMENT', 'DOWN')), 'an acknowledgement never shown is news');
});

t.test('unack and undowntime from chat fold their removals (which carry no author); a host undowntime covers its services', async (t) => {
  const echoes = new ActionEchoes(new FakeClock());
  echoes.expect(action('unack', 'web01!http'));
  echoes.expect(action('undowntime', 'db01'));
  t.ok(echoes.folds('irc:#ops', event('AcknowledgementCleared', 'web01!http')));
  t.ok(echoes.folds('irc:#ops', event('DowntimeRemoved', 'db01!disk', { author: ALICE })));
  t.notOk(echoes.folds('irc:#ops', event('DowntimeRemoved', 'web01!http', { author: ALICE })));
  t.notOk(echoes.folds('irc:#ops', event('AcknowledgementCleared', 'web01!disk')));
});

t.test('an action that did not happen folds nothing', async (t) => {
  const echoes = new ActionEchoes(new FakeClock());
  const withdraw = echoes.expect(action('comment', 'web01!http'));
  withdraw();
  t.notOk(echoes.folds('irc:#ops', event('CommentAdded', 'web01!http', { author: ALICE, entry_type: 'user' })));
});

t.test('an action folds each event it causes once: the same person acking again elsewhere is news here', async (t) => {
  const echoes = new ActionEchoes(new FakeClock());
  echoes.expect(action('ack', 'web01!http'));
  t.ok(echoes.folds('irc:#ops', event('AcknowledgementSet', 'web01!http', { author: ALICE })));
  t.notOk(echoes.folds('irc:#ops', event('AcknowledgementSet', 'web01!http', { author: ALICE })), 'her second ack, typed privately');
});
