/**
 * IRC text in and out. Out: a RelayMessage as the text of one or more PRIVMSGs, with mIRC
 * colours by severity and the object name in bold, never a control character from the event
 * (a CR or LF would end the line and let event text inject IRC commands), each line short
 * enough that the server can relay it within the protocol's 512 bytes. In: people's text
 * without the formatting codes their clients add.
 */
import { highlightPrefix, withoutControls, type RelayMessage, type Severity } from '../../message.js';

const BOLD = '\x02';
const COLOUR = '\x03';
const RESET = '\x0f';

/** mIRC colour numbers. Orange rather than yellow for warnings: yellow is unreadable on white. */
const SEVERITY_COLOURS: Record<Severity, string | undefined> = {
  critical: '04', // red
  warning: '07', // orange
  ok: '03', // green
  unknown: '06', // purple
  info: undefined, // the client's own text colour
};

/** Most bytes formatting adds to one line: a colour code, its comma guard, bold on and off, the reset. */
const FORMATTING_BYTES = 3 + 2 + 2 + 1;

/** An IRC line is at most 512 bytes, CR LF included (RFC 1459 2.3). */
const IRC_LINE_BYTES = 512;

/**
 * What the server puts in front of our text when it relays it: ":nick!user@host ". With the
 * usual limits (NICKLEN 30, USERLEN 10 plus "~", HOSTLEN 64) that is up to 109 bytes; we
 * cannot know the host the server shows, so we reserve for the longest.
 */
const SOURCE_PREFIX_BYTES = 110;

/** mIRC formatting: colours with their numbers, hex colours, bold, italics, underline, strike, monospace, reverse, reset. */
const FORMATTING_CODES = /\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

export interface IrcRenderOptions {
  colours: boolean;
  /** Bytes of text each line may have: see textBudget. */
  maxBytes: number;
}

/** The bytes of text one PRIVMSG to `target` may carry so that the relayed line fits in 512 bytes. */
export function textBudget(target: string): number {
  return IRC_LINE_BYTES - '\r\n'.length - SOURCE_PREFIX_BYTES - Buffer.byteLength(`PRIVMSG ${target} :`);
}

/**
 * The most bytes one PRIVMSG line of the message to `target` takes, CR LF included: its whole
 * text with every formatting code, or the longest line textBudget allows, whichever is less.
 * Cleaning and splitting only take bytes away.
 */
export function longestLineBytes(message: RelayMessage, target: string): number {
  const whole = Buffer.byteLength(`PRIVMSG ${target} :`) + Buffer.byteLength(highlightPrefix(message) + message.text) + FORMATTING_BYTES + '\r\n'.length;
  // textBudget leaves room for the prefix the server adds: no line we send is longer than this.
  return Math.min(whole, IRC_LINE_BYTES - SOURCE_PREFIX_BYTES);
}

/** What someone wrote, without their client's formatting codes or other control characters. */
export function plainText(text: string): string {
  return withoutControls(text.replace(FORMATTING_CODES, '')).trim();
}

/** The message as the texts of consecutive PRIVMSGs; none for a message without text. */
export function renderIrcLines(message: RelayMessage, options: IrcRenderOptions): string[] {
  const text = withoutControls(highlightPrefix(message) + message.text).trim();
  if (!options.colours) return splitText(text, options.maxBytes).map(({ start, end }) => text.slice(start, end));
  const colour = SEVERITY_COLOURS[message.severity];
  const bold = objectRange(text, message);
  return splitText(text, options.maxBytes - FORMATTING_BYTES).map((range) => decorate(text, range, colour, bold));
}

interface Range {
  start: number;
  end: number;
}

/** Where the host or host!service the message is about first appears in its text. */
function objectRange(text: string, message: RelayMessage): Range | undefined {
  if (message.host === undefined) return undefined;
  const object = withoutControls(message.service === undefined ? message.host : `${message.host}!${message.service}`);
  const start = text.indexOf(object);
  return start < 0 || object === '' ? undefined : { start, end: start + object.length };
}

/** One line: the part of the text in `range`, coloured, with the object's part of it in bold. */
function decorate(text: string, range: Range, colour: string | undefined, bold: Range | undefined): string {
  const boldStart = Math.min(Math.max(bold?.start ?? range.end, range.start), range.end);
  const boldEnd = Math.min(Math.max(bold?.end ?? range.end, boldStart), range.end);
  const before = text.slice(range.start, boldStart);
  const inBold = text.slice(boldStart, boldEnd);
  const after = text.slice(boldEnd, range.end);
  const body = before + (inBold && BOLD + inBold + BOLD) + after;
  if (colour === undefined) return body;
  // A comma right after the colour number would be read as ",<background>": an empty bold pair keeps them apart.
  return COLOUR + colour + (body.startsWith(',') ? BOLD + BOLD : '') + body + RESET;
}

function utf8Bytes(codePoint: number): number {
  // Lone surrogates go out as U+FFFD, three bytes, like every other code point below 0x10000.
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * Splits text into ranges of at most maxBytes UTF-8 bytes each, only between code points, and
 * at the last space when there is one in the second half of the range (the space is dropped).
 */
function splitText(text: string, maxBytes: number): Range[] {
  if (maxBytes < 4) throw new RangeError(`cannot split text into lines of ${maxBytes} bytes: a character takes up to 4`);
  const ranges: Range[] = [];
  let start = 0;
  while (start < text.length) {
    let end = start;
    let bytes = 0;
    let lastSpace = -1;
    while (end < text.length) {
      const codePoint = text.codePointAt(end)!;
      bytes += utf8Bytes(codePoint);
      if (bytes > maxBytes) break;
      if (codePoint === 0x20) lastSpace = end;
      end += codePoint > 0xffff ? 2 : 1;
    }
    if (end === text.length) {
      ranges.push({ start, end });
      break;
    }
    const splitAt = text[end] === ' ' ? end : lastSpace;
    if (splitAt > start + (end - start) / 2) {
      ranges.push({ start, end: splitAt });
      start = splitAt + 1;
    } else {
      ranges.push({ start, end });
      start = end;
    }
  }
  return ranges;
}
