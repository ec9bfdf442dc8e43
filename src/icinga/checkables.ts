/**
 * Hosts and services ("checkables") and their states as Icinga2's JSON spells them, read loosely:
 * shared by the API client, catch-up and the formatters.
 */
import { asLine, asNumber, asRecord } from '../util/values.js';
import type { IcingaEvent } from './event-types.js';


// ---------------------------------------------------------------- hosts and services

/** A host or a service: Icinga2 calls both "checkables". `object` is `host` or `host!service`. */
export interface Checkable {
  host: string;
  service?: string;
  object: string;
}

export function readCheckable(host: unknown, service: unknown): Checkable | undefined {
  const hostName = asLine(host);
  if (hostName === undefined) return undefined;
  const serviceName = asLine(service);
  return serviceName === undefined
    ? { host: hostName, object: hostName }
    : { host: hostName, service: serviceName, object: `${hostName}!${serviceName}` };
}

/** Checkable events carry top-level `host` and, for services only, `service`. */
export function eventCheckable(event: IcingaEvent): Checkable | undefined {
  return readCheckable(event.host, event.service);
}

/** Comments and downtimes name their checkable as `host_name` and `service_name` ("" for hosts). */
export function attachedCheckable(attachment: Record<string, unknown>): Checkable | undefined {
  return readCheckable(attachment.host_name, attachment.service_name);
}

// ---------------------------------------------------------------- states

const HOST_STATES = ['UP', 'DOWN'];
const SERVICE_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

function stateOnScale(scale: string[], state: unknown): string | undefined {
  const index = asNumber(state);
  return index === undefined ? undefined : scale[index];
}

/**
 * Names a state from the service scale (0..3), which check results use even for hosts:
 * Icinga2 counts OK and WARNING as UP, CRITICAL and UNKNOWN as DOWN.
 */
export function serviceScaleStateName(state: unknown, isHost: boolean): string | undefined {
  const name = stateOnScale(SERVICE_STATES, state);
  if (name === undefined || !isHost) return name;
  return name === 'OK' || name === 'WARNING' ? 'UP' : 'DOWN';
}

/**
 * The checkable's current state: the top-level `state` (host scale for hosts) when the event
 * has one, else its check result's state.
 */
export function currentStateName(event: IcingaEvent, target: Checkable): string | undefined {
  const isHost = target.service === undefined;
  if (event.state !== undefined) return stateOnScale(isHost ? HOST_STATES : SERVICE_STATES, event.state);
  return serviceScaleStateName(asRecord(event.check_result)?.state, isHost);
}

export type StateType = 'SOFT' | 'HARD';

export function stateTypeName(stateType: unknown): StateType | undefined {
  if (stateType === 0) return 'SOFT';
  if (stateType === 1) return 'HARD';
  return undefined;
}
