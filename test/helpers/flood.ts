/**
 * A flooder against a relay with a real chat backend, while a service goes CRITICAL: how long the
 * alert took from the relay handing it to the backend to the channel, and how many answers the
 * relay handed over for the flooder. Shared by the IRC, XMPP and Slack flood tests.
 */
import type { Test } from 'tap';
import type { RelayMessage } from '../../src/message.js';
import type { Relay } from '../../src/relay.js';
import { waitUntil } from '../commands/helpers.js';

/** Lines the flooder sends of each kind, the numbers. */
export const FLOOD_DIRECT = 500;
export const FLOOD_CHANNEL = 500;
/** Unknown commands and commands the flooder has no role for, alternately. */
export const floodLine = (index: number) => (Math.floor(index / 2) % 2 === 0 ? `bogus${index}` : `ack web01!http mine ${index}`);

export interface FloodOutcome {
  /** From the backend's send() of the alert to the watcher seeing it in the channel. */
  alertDelayMs: number;
  /** Replies the relay handed to the backend while the flood lasted (an upper bound of what the flooder got). */
  answers: number;
  /** How long the flood lasted, from its first line to the end of the count. */
  floodMs: number;
}

export interface FloodSetup {
  relay: Relay;
  /** Sends line `index` of the flood, directly (`direct`) or in the channel. */
  send: (index: number, direct: boolean) => Promise<void> | void;
  /** Makes the service go CRITICAL in Icinga2. */
  raise: () => Promise<void>;
  /** Whether the watcher in the channel has seen the alert. */
  alertSeen: () => boolean;
  /** Whether a message handed to the backend is the alert. */
  isAlert: (message: RelayMessage) => boolean;
  /** How long the whole flood takes to send: spread out so that the alert comes in the middle of it. */
  spreadMs?: number;
}

export async function alertUnderFlood(t: Test, setup: FloodSetup): Promise<FloodOutcome> {
  const backend = setup.relay.backends[0];
  const send = backend.send.bind(backend);
  let handedAt: number | undefined;
  let answers = 0;
  backend.send = (destination, message) => {
    if (message.eventType === 'Reply') answers++;
    else if (handedAt === undefined && setup.isAlert(message)) handedAt = Date.now();
    return send(destination, message);
  };
  t.teardown(() => {
    backend.send = send;
  });

  const total = FLOOD_DIRECT + FLOOD_CHANNEL;
  const spreadMs = setup.spreadMs ?? 8_000;
  const started = Date.now();
  const flooding = (async () => {
    for (let index = 0; index < total; index++) {
      await setup.send(index, index % 2 === 0);
      // Bursts of 25 lines, as fast as the connection takes them, spread over spreadMs.
      if (index % 25 === 24) await new Promise((resolve) => setTimeout(resolve, spreadMs / (total / 25)));
    }
  })();
  await setup.raise();
  const seenAt = await waitUntil(() => (setup.alertSeen() ? Date.now() : undefined), 30_000, 'the alert in the channel, under the flood');
  await flooding;
  // Replies still on their way count too: let the relay answer what it will.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  if (handedAt === undefined) throw new Error('the alert reached the channel without being handed to the backend');
  return { alertDelayMs: seenAt - handedAt, answers, floodMs: Date.now() - started };
}

/**
 * The most answers a sender can get in `floodMs` with the commands rate {burst, perSecond}: the burst,
 * what refills meanwhile, and one "slow down" answer per started minute.
 */
export function answerBudget(rate: { burst: number; perSecond: number }, floodMs: number): number {
  return rate.burst + Math.ceil((floodMs / 1000) * rate.perSecond) + Math.ceil(floodMs / 60_000);
}
