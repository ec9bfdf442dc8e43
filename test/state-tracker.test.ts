import t from 'tap';
import { readFileSync } from 'node:fs';
import { HardStateTracker } from '../src/state-tracker.js';
import type { IcingaEvent } from '../src/icinga/event-types.js';

const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as IcingaEvent;

t.test('answers when the previous hard state began, once it has seen it', async (t) => {
  const tracker = new HardStateTracker();
  const critical = fixture('StateChange-service-critical');
  const recovery = fixture('StateChange-service-recovery');
  t.equal(tracker.observe(critical), undefined, 'first change of an object: previous start unknown');
  t.equal(tracker.observe(recovery), critical.timestamp, 'recovery: the CRITICAL state began at the first event');
  t.equal(tracker.observe(recovery), critical.timestamp, 'a repeated event of the same change gets the same answer');
  t.equal(tracker.size, 1);
});

t.test('keys hosts and services apart and ignores what is not a hard state change', async (t) => {
  const tracker = new HardStateTracker();
  tracker.observe({ type: 'StateChange', host: 'web01', state: 1, state_type: 1, timestamp: 100 });
  tracker.observe({ type: 'StateChange', host: 'web01', service: 'http', state: 2, state_type: 1, timestamp: 150 });
  t.equal(tracker.observe({ type: 'StateChange', host: 'web01', state: 0, state_type: 1, timestamp: 200 }), 100);
  t.equal(tracker.observe(fixture('StateChange-service-soft')), undefined, 'SOFT changes are not hard states');
  t.equal(tracker.observe(fixture('CheckResult-service')), undefined, 'other event types pass by');
  t.equal(tracker.observe({ type: 'StateChange', state_type: 1, state: 2 }), undefined, 'no host: nothing to key on');
  t.equal(tracker.size, 2);
});
