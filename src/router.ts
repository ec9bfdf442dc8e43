/**
 * Decides where a formatted message goes. For now every relayed message goes to every
 * configured destination; SOFT state changes are dropped unless asked for, because Icinga2
 * reports every soft attempt and only HARD states mean "act now".
 */
import type { RelayMessage } from './message.js';

export interface RouterOptions {
  destinations: readonly string[];
  softStates: boolean;
}

export type Router = (message: RelayMessage) => readonly string[];

export function createRouter(options: RouterOptions): Router {
  const none: readonly string[] = [];
  return (message) => (message.stateType === 'SOFT' && !options.softStates ? none : options.destinations);
}
