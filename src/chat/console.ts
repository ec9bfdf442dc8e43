/** The console backend: one plain-text line per message on stdout. The embedded default. */
import type { Writable } from 'node:stream';
import type { ChatBackend, IncomingMessage } from './backend.js';
import type { RelayMessage } from '../message.js';

export type TimestampMode = 'auto' | 'always' | 'never';

export interface ConsoleOptions {
  timestamps: TimestampMode;
  output?: Writable & { isTTY?: boolean };
  /** Local time of day for the timestamp; injectable for tests. */
  now?: () => Date;
}

export const CONSOLE_DESTINATION = 'console';

function timeOfDay(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function renderPlain(message: RelayMessage): string {
  return message.text;
}

export class ConsoleBackend implements ChatBackend {
  readonly name = 'console';
  readonly destinations = [CONSOLE_DESTINATION];
  private readonly output: Writable & { isTTY?: boolean };
  private readonly withTimestamps: boolean;
  private readonly now: () => Date;

  constructor(options: ConsoleOptions) {
    this.output = options.output ?? process.stdout;
    this.now = options.now ?? (() => new Date());
    // A terminal shows no time of its own; a pipe or the journal usually adds one.
    this.withTimestamps = options.timestamps === 'always' || (options.timestamps === 'auto' && Boolean(this.output.isTTY));
  }

  async connect(): Promise<void> {}

  async send(_destination: string, message: RelayMessage): Promise<void> {
    const line = renderPlain(message);
    this.output.write(this.withTimestamps ? `${timeOfDay(this.now())} ${line}\n` : `${line}\n`);
  }

  onMessage(_handler: (message: IncomingMessage) => void): void {
    // Commands typed on stdin arrive with the chat-commands capability.
  }

  async close(): Promise<void> {}
}
