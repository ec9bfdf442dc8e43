/** Shared by the formatter tests: what every relayed line must satisfy, whatever the event. */
import { oneLine } from '../../formatters/common.js';
import type { RelayMessage } from '../../src/message.js';

// IRC ends a command at \r or \n and acts on \x01-\x1f; clients break lines at NEL, U+2028/9.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Everything wrong with a message as a chat line; empty when it is fine. */
export function lineProblems(message: RelayMessage, width: number): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('empty text');
  if (CONTROL_CHARACTER.test(message.text)) problems.push(`control character in ${JSON.stringify(message.text)}`);
  if (message.text.length > width) problems.push(`${message.text.length} characters, more than ${width}`);
  if (LONE_SURROGATE.test(message.text)) problems.push('a surrogate pair was cut');
  if (!Number.isFinite(message.timestamp)) problems.push(`timestamp ${message.timestamp}`);
  // A message's body is worked out when first read, and a throw there falls back to the generic line.
  if (message.fields.format_error !== undefined) problems.push(`the formatter threw: ${String(message.fields.format_error)}`);
  for (const [name, value] of Object.entries(message.fields)) {
    if (typeof value !== 'string') continue;
    if (CONTROL_CHARACTER.test(value)) problems.push(`control character in field ${name}`);
    // buildMessage takes field strings as given: the formatters must have cleaned them.
    else if (oneLine(value) !== value) problems.push(`field ${name} is not one clean line: ${JSON.stringify(value)}`);
  }
  return problems;
}
