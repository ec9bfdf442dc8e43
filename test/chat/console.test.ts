import t from 'tap';
import { PassThrough } from 'node:stream';
import { ConsoleBackend, CONSOLE_DESTINATION, renderPlain } from '../../src/chat/console/backend.js';
import type { RelayMessage } from '../../src/message.js';

const message: RelayMessage = { eventType: 'StateChange', severity: 'critical', text: 'CRITICAL web01!http: refused', timestamp: 0, fields: {} };

async function printed(timestamps: 'auto' | 'always' | 'never', isTTY: boolean): Promise<string> {
  const output = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  output.on('data', (chunk) => (text += chunk));
  const backend = new ConsoleBackend({ timestamps, output, now: () => new Date(2026, 10, 23, 9, 5, 7) });
  await backend.connect();
  t.same(backend.destinations, [CONSOLE_DESTINATION]);
  t.equal(backend.connected, true, 'standard output is always there');
  t.equal(backend.queueDepth, 0);
  await backend.send(CONSOLE_DESTINATION, message);
  await backend.close();
  return text;
}

t.test('one line per message; the time of day only where nothing else adds one', async (t) => {
  t.equal(await printed('auto', true), '09:05:07 CRITICAL web01!http: refused\n', 'a terminal gets the time');
  t.equal(await printed('auto', false), 'CRITICAL web01!http: refused\n', 'a pipe or the journal does not');
  t.equal(await printed('always', false), '09:05:07 CRITICAL web01!http: refused\n');
  t.equal(await printed('never', true), 'CRITICAL web01!http: refused\n');
});

t.test('no control character reaches the terminal, whatever the message carries', async (t) => {
  const hostile = { ...message, text: 'CRITICAL web01\x1b[2J\x1b]0;owned\x07: line\r\nbreak\u2028' };
  t.equal(renderPlain(hostile), 'CRITICAL web01 [2J ]0;owned : line break ');
  t.equal(renderPlain(message), message.text, 'clean text as it is');
});
