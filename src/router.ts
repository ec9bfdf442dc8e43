/**
 * Decides where a formatted message goes. SOFT state changes are dropped unless asked for,
 * because Icinga2 reports every soft attempt and only HARD states mean "act now".
 *
 * Without routes, every message goes to every configured destination. With routes, each route
 * is tried in order: a route matches when every condition in its `match` holds, and each
 * condition holds when any of its values does. A matching route adds its destinations (once
 * each, in order); `stop` ends the search there. A message no route matches goes nowhere.
 *
 * Groups and custom vars are not in the events: they come from the object cache. An object the
 * cache does not know (not loaded yet, or Icinga2 unreachable) matches no route that asks for
 * groups or vars, and still matches the routes that do not.
 */
import type { StateType } from './icinga/checkables.js';
import { globMatcher } from './glob.js';
import type { ObjectDirectory, ObjectMetadata } from './icinga/object-cache.js';
import type { RelayMessage } from './message.js';

/** Each present condition lists alternatives; names and var values are glob patterns. */
export interface RouteMatch {
  types?: readonly string[];
  hosts?: readonly string[];
  services?: readonly string[];
  states?: readonly string[];
  stateTypes?: readonly StateType[];
  hostGroups?: readonly string[];
  serviceGroups?: readonly string[];
  /** Var name → accepted values. A service's var is its own, or its host's when it has none. */
  vars?: Readonly<Record<string, readonly string[]>>;
}

export interface Route {
  match: RouteMatch;
  to: readonly string[];
  /** First match wins: no later route is tried. */
  stop: boolean;
  /** Who to call on a new problem this route sends (IRC/XMPP nicks, Slack user IDs or <!subteam^ID>). */
  mention?: readonly string[];
}

export interface RouterOptions {
  /** Every configured destination: where messages go when there are no routes. */
  destinations: readonly string[];
  softStates: boolean;
  routes?: readonly Route[];
  objects?: ObjectDirectory;
}

export type Router = (message: RelayMessage) => readonly string[];

/** What a route asks about one message; the metadata is looked up only when a route needs it. */
interface Subject {
  message: RelayMessage;
  host(): ObjectMetadata | undefined;
  service(): ObjectMetadata | undefined;
}

type Condition = (subject: Subject) => boolean;

const NO_OBJECTS: ObjectDirectory = { lookup: () => undefined };

function anyOf(patterns: readonly string[]): (name: string | undefined) => boolean {
  const matchers = patterns.map((pattern) => globMatcher(pattern));
  return (name) => name !== undefined && matchers.some((matches) => matches(name));
}

/** Icinga2 vars hold strings, numbers, booleans, arrays and dictionaries: an array matches when an item does. */
function varMatches(value: unknown, matches: (name: string | undefined) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => varMatches(item, matches));
  return (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && matches(String(value));
}

function conditions(match: RouteMatch): Condition[] {
  const list: Condition[] = [];
  const { types, hosts, services, states, stateTypes, hostGroups, serviceGroups, vars } = match;
  if (types) list.push(({ message }) => types.includes(message.eventType));
  if (hosts) {
    const matches = anyOf(hosts);
    list.push(({ message }) => matches(message.host));
  }
  if (services) {
    const matches = anyOf(services);
    list.push(({ message }) => matches(message.service));
  }
  if (states) list.push(({ message }) => message.state !== undefined && states.includes(message.state));
  if (stateTypes) list.push(({ message }) => message.stateType !== undefined && stateTypes.includes(message.stateType));
  if (hostGroups) {
    const matches = anyOf(hostGroups);
    list.push((subject) => subject.host()?.groups.some(matches) ?? false);
  }
  if (serviceGroups) {
    const matches = anyOf(serviceGroups);
    list.push((subject) => subject.service()?.groups.some(matches) ?? false);
  }
  for (const [name, values] of Object.entries(vars ?? {})) {
    const matches = anyOf(values);
    list.push((subject) => {
      const own = subject.message.service === undefined ? undefined : subject.service();
      const value = own && Object.hasOwn(own.vars, name) ? own.vars[name] : subject.host()?.vars[name];
      return varMatches(value, matches);
    });
  }
  return list;
}

/** Whether any route asks for what only the object cache knows. */
export function routesNeedObjects(routes: readonly Route[]): boolean {
  return routes.some(({ match }) => match.hostGroups !== undefined || match.serviceGroups !== undefined || match.vars !== undefined);
}

/** The routes a message takes, in order, up to the first matching one with stop. */
function routesTaken(options: RouterOptions & { routes: readonly Route[] }): (message: RelayMessage) => Route[] {
  const compiled = options.routes.map((route) => ({ route, conditions: conditions(route.match) }));
  const objects = options.objects ?? NO_OBJECTS;
  return (message) => {
    const { host, service } = message;
    const subject: Subject = {
      message,
      host: () => (host === undefined ? undefined : objects.lookup(host)),
      service: () => (host === undefined || service === undefined ? undefined : objects.lookup(`${host}!${service}`)),
    };
    const taken: Route[] = [];
    for (const { route, conditions: all } of compiled) {
      if (!all.every((condition) => condition(subject))) continue;
      taken.push(route);
      if (route.stop) break;
    }
    return taken;
  };
}

export function createRouter(options: RouterOptions): Router {
  const none: readonly string[] = [];
  const { routes } = options;
  if (routes === undefined) {
    return (message) => (message.stateType === 'SOFT' && !options.softStates ? none : options.destinations);
  }
  const taken = routesTaken({ ...options, routes });
  return (message) => {
    if (message.stateType === 'SOFT' && !options.softStates) return none;
    const destinations = new Set<string>();
    for (const route of taken(message)) for (const destination of route.to) destinations.add(destination);
    return [...destinations];
  };
}

/** Who the routes a message takes to `destination` ask to mention (route.mention), each once; empty without routes. */
export function createMentions(options: RouterOptions): (message: RelayMessage, destination: string) => readonly string[] {
  const { routes } = options;
  if (routes === undefined || !routes.some((route) => route.mention !== undefined)) return () => [];
  const taken = routesTaken({ ...options, routes });
  return (message, destination) => [...new Set(taken(message).flatMap((route) => (route.to.includes(destination) ? (route.mention ?? []) : [])))];
}
