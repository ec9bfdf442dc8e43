/**
 * Reading loose JSON and cleaning free text: what every layer that touches Icinga2's data needs
 * (the API client, the formatters, commands, noise control). Every reader accepts any JSON value
 * and returns undefined for what it cannot use, so callers never throw on odd input.
 */
import { withoutControls } from '../message.js';

// ---------------------------------------------------------------- reading loose JSON

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A string, or a number/boolean spelled as one; empty strings count as absent. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** The non-empty items of an array as lines; anything else gives an empty list. */
export function asLineList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(asLine).filter((item): item is string => item !== undefined);
}

// \v, \f, NEL and the Unicode separators break lines in some clients as surely as \n does.
// Global so that firstLine can start the search where it wants (lastIndex).
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * What only the full cleaning fixes: a control character (line breaks included) or a double
 * space. Most event text has neither, and this one test is far cheaper than the split, replace
 * and join (text cleaning was the formatters' hot spot in profiles). Control characters first:
 * that order scans plain text about a third faster.
 */
const NEEDS_CLEANING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]| {2}/;
const SPACE = 0x20;

function cleanLine(line: string): string {
  return withoutControls(line).replace(/ {2,}/g, ' ').trim();
}

function nonEmptyLines(text: string): string[] {
  return text.split(LINE_BREAK).map(cleanLine).filter((line) => line !== '');
}

/** Text that needs no cleaning but maybe trimming: plugin output often ends in a space. */
function withoutEdgeSpaces(text: string): string {
  // Two lookups at the edges cost less than a regex scanning to the end of a long output for them.
  return text.charCodeAt(0) === SPACE || text.charCodeAt(text.length - 1) === SPACE ? text.trim() : text;
}

/** Free text as one line: its lines joined with " / ", no control characters left. */
export function oneLine(text: string): string {
  return NEEDS_CLEANING.test(text) ? nonEmptyLines(text).join(' / ') : withoutEdgeSpaces(text);
}

/** A name or short text from the event, made one line; undefined when there is nothing to show. */
export function asLine(value: unknown): string | undefined {
  const text = asText(value);
  return text === undefined ? undefined : oneLine(text) || undefined;
}

/** The first line of a check result's plugin output; '' when there is none. */
export function checkOutput(checkResult: unknown): string {
  return firstLine(asText(asRecord(checkResult)?.output) ?? '');
}

/** The first line with any content, cleaned: plugins put the summary there, details below. */
export function firstLine(text: string): string {
  // Plugin output can run to megabytes; only the lines up to the first with content matter.
  // Line breaks need cleaning, so none comes before the first character that does: the search
  // for the line break starts there, and a clean first line is scanned once, not twice.
  const firstToClean = text.search(NEEDS_CLEANING);
  if (firstToClean === -1) return withoutEdgeSpaces(text);
  LINE_BREAK.lastIndex = firstToClean;
  const lineBreak = LINE_BREAK.exec(text);
  const end = lineBreak ? lineBreak.index : text.length;
  const line = text.slice(0, end);
  const head = end === firstToClean ? withoutEdgeSpaces(line) : oneLine(line);
  return head !== '' || !lineBreak ? head : firstLine(text.slice(end + lineBreak[0].length));
}

const ELLIPSIS = '…';

/** Cuts text to at most `width` UTF-16 units, ending in an ellipsis, never halving a surrogate pair. */
export function truncate(text: string, width: number): string {
  if (!(text.length > width)) return text;
  if (width < 1) return '';
  let cut = Math.floor(width) - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}

