import { parseEventLine, type IcingaEvent } from './event-types.js';
import { LineSplitter } from './ndjson.js';

export interface EventChunkParserOptions {
  /** Longest line, in bytes, that is still parsed (see LineSplitter). */
  maxLineBytes?: number;
  /** A line that is not an event; it is skipped. */
  onMalformed: (line: string, problem: string) => void;
  /** A line over maxLineBytes was dropped unread. */
  onOverlong: (bytes: number) => void;
}

/**
 * The event stream's bytes in, a chunk at a time, and the events of every line the chunk completes
 * out, in order. All of a chunk's lines are parsed before any event is handed on: JSON.parse is
 * two thirds of the relay's work in a storm, and run back to back rather than taking turns with
 * formatting and routing, the whole path was about 5% faster (the pipeline benchmark, alternating
 * rounds in one process). A 64 KiB chunk of a burst holds about 100 events, parsed in about 0.2 ms.
 */
export class EventChunkParser {
  private readonly splitter: LineSplitter;
  private parsed: IcingaEvent[] = [];

  constructor(options: EventChunkParserOptions) {
    const { onMalformed } = options;
    this.splitter = new LineSplitter({
      maxLineBytes: options.maxLineBytes,
      onLine: (line) => {
        const { event, problem } = parseEventLine(line);
        if (problem === undefined) this.parsed.push(event);
        else onMalformed(line, problem);
      },
      onOverlong: options.onOverlong,
    });
  }

  /** The events of the lines this chunk completes. */
  push(chunk: Buffer): IcingaEvent[] {
    this.splitter.push(chunk);
    return this.take();
  }

  /** The stream is over: the event of a last line that had no newline, if any. */
  end(): IcingaEvent[] {
    this.splitter.end();
    return this.take();
  }

  private take(): IcingaEvent[] {
    const events = this.parsed;
    this.parsed = [];
    return events;
  }
}
