import t from 'tap';
import { readFileSync } from 'node:fs';
import { formatEvent } from '../formatters/index.js';
import type { IcingaEvent } from '../src/icinga/event-types.js';
import type { ObjectDirectory, ObjectMetadata } from '../src/icinga/object-cache.js';
import { createRouter, routesNeedObjects, type Route, type RouteMatch } from '../src/router.js';
import type { RelayMessage } from '../src/message.js';

const message = (stateType?: 'SOFT' | 'HARD'): RelayMessage => ({
  eventType: 'StateChange', severity: 'critical', text: 'x', timestamp: 0, stateType, fields: {},
});

/** A recorded event as the formatter turns it into a message. */
const recorded = (name: string): RelayMessage =>
  formatEvent(JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as IcingaEvent, { width: 400 });

/** Metadata as the harness Icinga2 has it: vars.team on hosts, HostGroup databases for team db. */
const OBJECTS = new Map<string, ObjectMetadata>([
  ['web01', { groups: ['webservers'], vars: { team: 'web', os: 'Linux' } }],
  ['db01', { groups: ['databases', 'linux-servers'], vars: { team: 'db', tier: 1, tags: ['prod', 'eu'], on_call: true } }],
  ['routeur-äöü', { groups: [], vars: { team: 'net' } }],
  ['db01!disk', { groups: ['storage'], vars: {} }],
  ['web01!http', { groups: ['http-checks'], vars: { team: 'frontend' } }],
]);
const objects: ObjectDirectory = { lookup: (name) => OBJECTS.get(name) };

/** Which of these recorded events a route with `match` takes. */
function taken(match: RouteMatch, names: string[], directory: ObjectDirectory = objects): string[] {
  const router = createRouter({ destinations: ['console'], softStates: false, routes: [{ match, to: ['console'], stop: false }], objects: directory });
  return names.filter((name) => router(recorded(name)).length > 0);
}

const SAMPLE = [
  'StateChange-service-critical', // web01!http CRITICAL HARD
  'StateChange-host-down', // routeur-äöü DOWN HARD
  'StateChange-service-multiline', // db01!disk WARNING HARD
  'Notification-service-problem-dba', // db01!disk WARNING
  'DowntimeAdded-host-fixed', // db01
  'CommentAdded-service', // web01!http
  'ObjectCreated-downtime', // no checkable
];

t.test('without routes every message goes to every destination, SOFT ones only when asked', async (t) => {
  const destinations = ['console', 'irc:#ops'];
  const strict = createRouter({ destinations, softStates: false });
  t.same(strict(message('HARD')), destinations);
  t.same(strict(message()), destinations, 'messages without a state type are relayed');
  t.same(strict(message('SOFT')), [], 'SOFT dropped by default');
  t.same(createRouter({ destinations, softStates: true })(message('SOFT')), destinations);
});

t.test('each match kind over recorded events', async (t) => {
  t.same(taken({}, SAMPLE), SAMPLE, 'an empty match takes everything');
  t.same(taken({ types: ['StateChange'] }, SAMPLE), SAMPLE.slice(0, 3), 'event type');
  t.same(taken({ types: ['DowntimeAdded', 'CommentAdded'] }, SAMPLE), ['DowntimeAdded-host-fixed', 'CommentAdded-service'], 'any of several types');
  t.same(taken({ hosts: ['db*'] }, SAMPLE), SAMPLE.slice(2, 5), 'host glob');
  t.same(taken({ hosts: ['ROUTEUR-ÄÖÜ'] }, SAMPLE), ['StateChange-host-down'], 'host name: whole name, case ignored, non-ASCII');
  t.same(taken({ hosts: ['web'] }, SAMPLE), [], 'without wildcards a name must match whole');
  t.same(taken({ hosts: ['web0?', 'routeur*'] }, SAMPLE), ['StateChange-service-critical', 'StateChange-host-down', 'CommentAdded-service'], '? and alternatives');
  t.same(taken({ services: ['disk'] }, SAMPLE), ['StateChange-service-multiline', 'Notification-service-problem-dba'], 'service name');
  t.same(taken({ services: ['*'] }, SAMPLE), ['StateChange-service-critical', 'StateChange-service-multiline', 'Notification-service-problem-dba', 'CommentAdded-service'], 'service * takes services only, not hosts');
  t.same(taken({ states: ['CRITICAL', 'DOWN'] }, SAMPLE), ['StateChange-service-critical', 'StateChange-host-down'], 'state');
  t.same(taken({ states: ['WARNING'] }, SAMPLE), ['StateChange-service-multiline', 'Notification-service-problem-dba'], "a notification's state");
  t.same(taken({ stateTypes: ['HARD'] }, SAMPLE), SAMPLE.slice(0, 3), 'state type: events without one do not match');
  t.same(taken({ types: ['StateChange'], hosts: ['db01'] }, SAMPLE), ['StateChange-service-multiline'], 'every condition must hold');
});

t.test('host groups, service groups and custom vars come from the object cache', async (t) => {
  t.same(taken({ hostGroups: ['databases'] }, SAMPLE), SAMPLE.slice(2, 5), "host groups, also for the host's services");
  t.same(taken({ hostGroups: ['linux-*'] }, SAMPLE), SAMPLE.slice(2, 5), 'group globs');
  t.same(taken({ serviceGroups: ['storage'] }, SAMPLE), ['StateChange-service-multiline', 'Notification-service-problem-dba'], 'service groups');
  t.same(taken({ serviceGroups: ['*'] }, ['DowntimeAdded-host-fixed']), [], 'a host is in no service group');
  t.same(taken({ vars: { team: ['db'] } }, SAMPLE), SAMPLE.slice(2, 5), 'host var, inherited by services without it');
  t.same(taken({ vars: { team: ['web'] } }, SAMPLE), [], "web01!http's own team=frontend wins over its host's team=web");
  t.same(taken({ vars: { team: ['frontend'] } }, SAMPLE), ['StateChange-service-critical', 'CommentAdded-service'], "a service's own var");
  t.same(taken({ vars: { team: ['db', 'net'] } }, SAMPLE), SAMPLE.slice(1, 5), 'any of several values');
  t.same(taken({ vars: { os: ['linux'] } }, ['CommentAdded-service', 'DowntimeAdded-host-fixed']), ['CommentAdded-service'], 'values ignore case');
  t.same(taken({ vars: { tier: ['1'], on_call: ['true'] } }, SAMPLE), SAMPLE.slice(2, 5), 'numbers and booleans as written in YAML');
  t.same(taken({ vars: { tags: ['prod'] } }, SAMPLE), SAMPLE.slice(2, 5), 'an array var matches when an item does');
  t.same(taken({ vars: { team: ['db'], tier: ['2'] } }, SAMPLE), [], 'every var must match');
  t.same(taken({ vars: { constructor: ['*'] } }, SAMPLE), [], 'no var from Object.prototype');
  t.same(taken({ vars: { missing: ['*'] } }, SAMPLE), [], 'an absent var matches nothing, not even *');
});

t.test('objects the cache does not know match only routes that ask for no metadata', async (t) => {
  const empty: ObjectDirectory = { lookup: () => undefined };
  const routes: Route[] = [
    { match: { vars: { team: ['db'] } }, to: ['irc:#db'], stop: true },
    { match: { hostGroups: ['databases'] }, to: ['irc:#db'], stop: true },
    { match: { hosts: ['db*'] }, to: ['irc:#ops'], stop: false },
  ];
  const router = createRouter({ destinations: [], softStates: false, routes, objects: empty });
  t.same(router(recorded('StateChange-service-multiline')), ['irc:#ops']);
  t.same(createRouter({ destinations: [], softStates: false, routes })(recorded('StateChange-service-multiline')), ['irc:#ops'], 'no cache at all');
  t.same(createRouter({ destinations: [], softStates: false, routes, objects })(recorded('StateChange-service-multiline')), ['irc:#db'], 'known: stop at the first');
});

t.test('order, stop, deduplication, nowhere, SOFT', async (t) => {
  const routes: Route[] = [
    { match: { states: ['CRITICAL'] }, to: ['irc:#ops', 'slack:#alerts'], stop: false },
    { match: { hosts: ['web*'] }, to: ['slack:#web', 'irc:#ops'], stop: true },
    { match: {}, to: ['console'], stop: false },
  ];
  const router = createRouter({ destinations: ['unused'], softStates: false, routes, objects });
  t.same(router(recorded('StateChange-service-critical')), ['irc:#ops', 'slack:#alerts', 'slack:#web'], 'later routes add, each destination once, stop ends');
  t.same(router(recorded('StateChange-host-down')), ['console'], 'only the catch-all');
  t.same(createRouter({ destinations: ['console'], softStates: false, routes: [], objects })(recorded('StateChange-host-down')), [], 'no route: nowhere');
  t.same(router(recorded('StateChange-service-soft')), [], 'SOFT dropped before routing');
  t.same(createRouter({ destinations: [], softStates: true, routes, objects })(recorded('StateChange-service-soft')), ['slack:#web', 'irc:#ops']);
});

t.test('the cache is needed only for groups and vars', async (t) => {
  t.notOk(routesNeedObjects([{ match: { hosts: ['x'], states: ['OK'] }, to: ['console'], stop: false }]));
  t.ok(routesNeedObjects([{ match: { serviceGroups: ['x'] }, to: ['console'], stop: false }]));
  t.ok(routesNeedObjects([{ match: { vars: { a: ['b'] } }, to: ['console'], stop: false }]));
  t.ok(routesNeedObjects([{ match: { hostGroups: ['x'] }, to: ['console'], stop: false }]));
});
