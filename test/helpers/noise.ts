/** What the noise tests share: a NoiseControl on a fake clock that records what it delivers, and messages to feed it. */
import { readFileSync } from 'node:fs';
import { formatEvent } from '../../formatters/index.js';
import { DEFAULT_NOISE, type NoiseConfig } from '../../src/config/index.js';
import type { IcingaEvent } from '../../src/icinga/event-types.js';
import { memoryLogger } from '../../src/log.js';
import type { RelayMessage } from '../../src/message.js';
import { NoiseControl } from '../../src/noise/index.js';
import { FakeClock } from './fake-clock.js';

export const WIDTH = 400;

export function noiseWith(overrides: Partial<NoiseConfig> = {}, clock = new FakeClock()) {
  const sent: { destination: string; message: RelayMessage }[] = [];
  const logger = memoryLogger();
  const noise = new NoiseControl(
    { ...DEFAULT_NOISE, ...overrides, width: WIDTH, deliver: (destination, message) => sent.push({ destination, message }) },
    { clock, logger },
  );
  const texts = (destination?: string) => sent.filter((s) => destination === undefined || s.destination === destination).map((s) => s.message.text);
  return { noise, sent, clock, logger, texts };
}

export function formatted(event: IcingaEvent): RelayMessage {
  return formatEvent(event, { width: WIDTH });
}

export const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as IcingaEvent;

/** The recorded stream as the router lets it through by default: every event but SOFT state changes and CheckResults. */
export function recordedStream(): RelayMessage[] {
  return readFileSync('fixtures/stream.ndjson', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => formatted(JSON.parse(line) as IcingaEvent))
    .filter((message) => message.stateType !== 'SOFT' && message.eventType !== 'CheckResult');
}

const SEVERITY: Record<string, RelayMessage['severity']> = { OK: 'ok', UP: 'ok', WARNING: 'warning', CRITICAL: 'critical', DOWN: 'critical', UNKNOWN: 'unknown' };

/** A HARD StateChange as the formatter makes it, for `host` or `host!service`. */
export function stateChange(object: string, state: string, extra: Partial<RelayMessage> = {}): RelayMessage {
  const [host, service] = object.split('!');
  const message: RelayMessage = {
    eventType: 'StateChange',
    severity: SEVERITY[state],
    host,
    text: `${state} ${object}`,
    timestamp: 1795447867,
    state,
    stateType: 'HARD',
    fields: { type: 'StateChange', host, object, state, state_type: 'HARD' },
    ...extra,
  };
  if (service !== undefined) message.service = service;
  return message;
}

/** A notification as the formatter makes it. */
export function notification(object: string, notificationType: string, state: string, users = 'oncall'): RelayMessage {
  const message = stateChange(object, state, { eventType: 'Notification', text: `[${notificationType}] ${object} is ${state} (notified ${users})` });
  delete message.stateType;
  message.notificationType = notificationType;
  message.fields = { ...message.fields, type: 'Notification', notification_type: notificationType, users };
  return message;
}
