/**
 * Splits a byte stream into newline-delimited lines. Works on Buffers and decodes only complete
 * lines, so a multi-byte UTF-8 character split across chunks is decoded whole.
 *
 * Icinga2's lines are unbounded (a 2 MB plugin output arrived as one 2,000,630-byte line), so a
 * line over the limit is never buffered whole: its bytes are dropped as they arrive and only its
 * length is reported.
 */

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface LineSplitterOptions {
  /** Longest line, in bytes without the line ending, that is still delivered. */
  maxLineBytes?: number;
  /**
   * A complete, non-empty line with its `\n` or `\r\n` removed. Usually a slice of the string
   * the whole chunk was decoded into, which stays in memory as long as the line does.
   */
  onLine: (line: string) => void;
  /** A line longer than maxLineBytes was dropped; `bytes` is its full length without the line ending. */
  onOverlong: (bytes: number) => void;
}

export class LineSplitter {
  private readonly maxLineBytes: number;
  private readonly onLine: (line: string) => void;
  private readonly onOverlong: (bytes: number) => void;
  /** Pieces of the unfinished line, kept as slices and joined once, when its newline arrives. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while dropping the rest of an over-long line; counts its bytes. */
  private discardedBytes = 0;
  private discarding = false;
  private discardEndsWithCarriageReturn = false;

  constructor(options: LineSplitterOptions) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(this.maxLineBytes) || this.maxLineBytes < 1) {
      throw new Error(`maxLineBytes must be a positive integer, got ${this.maxLineBytes}`);
    }
    this.onLine = options.onLine;
    this.onOverlong = options.onOverlong;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.discarding || this.pendingBytes > 0) {
      // The line earlier chunks began.
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        this.keepUnfinished(chunk, 0, chunk.length);
        return;
      }
      if (this.discarding) {
        this.finishDiscarding(chunk, 0, newline);
      } else {
        this.pending.push(chunk.subarray(0, newline));
        this.flushPending();
      }
      start = newline + 1;
    }
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline >= start) {
      this.deliverLines(chunk, start, lastNewline);
      start = lastNewline + 1;
    }
    if (start < chunk.length) this.keepUnfinished(chunk, start, chunk.length);
  }

  /** The stream is over: delivers a final line that had no newline. */
  end(): void {
    if (this.discarding) {
      this.discarding = false;
      this.onOverlong(this.discardedBytes - (this.discardEndsWithCarriageReturn ? 1 : 0));
    } else if (this.pendingBytes > 0) {
      this.flushPending();
    }
  }

  private keepUnfinished(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) {
      this.discardedBytes += end - start;
      this.discardEndsWithCarriageReturn = chunk[end - 1] === CARRIAGE_RETURN;
      return;
    }
    this.pending.push(chunk.subarray(start, end));
    this.pendingBytes += end - start;
    // +1: the last byte may be the `\r` of a `\r\n` that does not count towards the limit.
    if (this.pendingBytes > this.maxLineBytes + 1) {
      this.discarding = true;
      this.discardedBytes = this.pendingBytes;
      this.discardEndsWithCarriageReturn = chunk[end - 1] === CARRIAGE_RETURN;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }

  private finishDiscarding(chunk: Buffer, start: number, newline: number): void {
    let bytes = this.discardedBytes + (newline - start);
    const endsWithCarriageReturn = newline > start ? chunk[newline - 1] === CARRIAGE_RETURN : this.discardEndsWithCarriageReturn;
    if (endsWithCarriageReturn) bytes--;
    this.discarding = false;
    this.discardedBytes = 0;
    this.onOverlong(bytes);
  }

  private flushPending(): void {
    const line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let end = line.length;
    if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end--;
    this.deliver(line, 0, end);
  }

  /** The lines in chunk[start, end], `end` being its last newline: every line the chunk holds whole. */
  private deliverLines(chunk: Buffer, start: number, end: number): void {
    if (end - start > this.maxLineBytes) {
      // One of them may be over the limit: each line's bytes are measured before it is decoded.
      for (let lineStart = start; lineStart <= end; ) {
        const newline = chunk.indexOf(NEWLINE, lineStart);
        const lineEnd = newline > lineStart && chunk[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
        this.deliver(chunk, lineStart, lineEnd);
        lineStart = newline + 1;
      }
      return;
    }
    // None of them can be over the limit: decoding them at once and slicing the string is about
    // twice as fast as decoding each line (a newline byte is never part of a multi-byte character).
    const text = chunk.toString('utf8', start, end);
    for (let lineStart = 0; lineStart <= text.length; ) {
      const newline = text.indexOf('\n', lineStart);
      const lineBreak = newline === -1 ? text.length : newline;
      const lineEnd = lineBreak > lineStart && text.charCodeAt(lineBreak - 1) === CARRIAGE_RETURN ? lineBreak - 1 : lineBreak;
      if (lineEnd > lineStart) this.onLine(text.slice(lineStart, lineEnd));
      lineStart = lineBreak + 1;
    }
  }

  private deliver(buffer: Buffer, start: number, end: number): void {
    if (end === start) return;
    if (end - start > this.maxLineBytes) {
      this.onOverlong(end - start);
      return;
    }
    this.onLine(buffer.toString('utf8', start, end));
  }
}
