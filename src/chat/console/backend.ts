/**
 * The console backend: one plain-text line per message on stdout, and commands typed on stdin
 * (identity `console`, the local operator). The embedded default.
 */
import { fstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatBackend, IncomingMessage } from '../backend.js';
import { highlightPrefix, withoutControls, type RelayMessage } from '../../message.js';

export type TimestampMode = 'auto' | 'always' | 'never';

/** Whether typed commands are read: `auto` when stdin is a terminal or a pipe. */
export type CommandInputMode = 'auto' | 'always' | 'never';

export interface ConsoleOptions {
  timestamps: TimestampMode;
  output?: Writable & { isTTY?: boolean };
  /** Local time of day for the timestamp; injectable for tests. */
  now?: () => Date;
  /** Where commands are typed; process.stdin when absent. */
  input?: Readable & { isTTY?: boolean };
  /**
   * `auto` (the default) reads commands when the input is a terminal, or process.stdin is a
   * pipe: not under systemd, whose stdin is /dev/null, nor from a file or a test runner's stdin.
   */
  commands?: CommandInputMode;
  /** Who types, for the Icinga2 author (`root (via console)`); the local user name when absent. */
  user?: string;
}

export const CONSOLE_DESTINATION = 'console';

/** The identity of whoever types on the relay's stdin: they run the relay, so they are the local operator. */
export const CONSOLE_IDENTITY = 'console';

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A container user without a passwd entry.
    return 'console';
  }
}

function isPipe(input: Readable & { isTTY?: boolean }): boolean {
  if (input !== process.stdin) return false;
  const stat = fstatSync(0);
  return stat.isFIFO() || stat.isSocket();
}

function timeOfDay(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function renderPlain(message: RelayMessage): string {
  // A terminal acts on escape sequences.
  return withoutControls(highlightPrefix(message) + message.text);
}

export class ConsoleBackend implements ChatBackend {
  readonly name = 'console';
  readonly destinations = [CONSOLE_DESTINATION];
  /** Standard output is always there. */
  readonly connected = true;
  readonly queueDepth = 0;
  private readonly output: Writable & { isTTY?: boolean };
  private readonly withTimestamps: boolean;
  private readonly now: () => Date;
  private readonly input: Readable & { isTTY?: boolean };
  private readonly readsCommands: boolean;
  private readonly user: string;
  private readonly handlers: ((message: IncomingMessage) => void)[] = [];
  private reader: Interface | undefined;

  constructor(options: ConsoleOptions) {
    this.output = options.output ?? process.stdout;
    this.now = options.now ?? (() => new Date());
    // A terminal shows no time of its own; a pipe or the journal usually adds one.
    this.withTimestamps = options.timestamps === 'always' || (options.timestamps === 'auto' && Boolean(this.output.isTTY));
    this.input = options.input ?? process.stdin;
    const mode = options.commands ?? 'auto';
    this.readsCommands = mode === 'always' || (mode === 'auto' && (Boolean(this.input.isTTY) || isPipe(this.input)));
    this.user = options.user ?? localUser();
  }

  /** Starts reading commands, when it should and someone listens. */
  async connect(): Promise<void> {
    if (!this.readsCommands || this.handlers.length === 0 || this.reader) return;
    // terminal: false: the terminal's own line editing and echo stay, and output lines are not redrawn.
    this.reader = createInterface({ input: this.input, terminal: false, crlfDelay: Infinity });
    this.reader.on('line', (text) => {
      const message: IncomingMessage = { destination: CONSOLE_DESTINATION, text, direct: true, sender: { identity: CONSOLE_IDENTITY, displayName: this.user } };
      for (const handler of this.handlers) handler(message);
    });
  }

  async send(_destination: string, message: RelayMessage): Promise<void> {
    const line = renderPlain(message);
    this.output.write(this.withTimestamps ? `${timeOfDay(this.now())} ${line}\n` : `${line}\n`);
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    // Closing the reader pauses the input, so a terminal or pipe no longer keeps the process alive.
    this.reader?.close();
    this.reader = undefined;
  }
}
