import t from 'tap';
import { createRouter } from '../src/router.js';
import type { RelayMessage } from '../src/message.js';

const message = (stateType?: 'SOFT' | 'HARD'): RelayMessage => ({
  eventType: 'StateChange', severity: 'critical', text: 'x', timestamp: 0, stateType, fields: {},
});

t.test('every message goes to every destination, SOFT ones only when asked', async (t) => {
  const destinations = ['console', 'irc:#ops'];
  const strict = createRouter({ destinations, softStates: false });
  t.same(strict(message('HARD')), destinations);
  t.same(strict(message()), destinations, 'messages without a state type are relayed');
  t.same(strict(message('SOFT')), [], 'SOFT dropped by default');
  t.same(createRouter({ destinations, softStates: true })(message('SOFT')), destinations);
});
