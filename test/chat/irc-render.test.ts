import t from 'tap';
import { longestLineBytes, plainText, renderIrcLines, textBudget } from '../../src/chat/irc/render.js';
import { withoutControls } from '../../src/message.js';
import type { RelayMessage, Severity } from '../../src/message.js';

const message = (text: string, extra: Partial<RelayMessage> = {}): RelayMessage => ({
  eventType: 'StateChange',
  severity: 'critical',
  host: 'web01',
  service: 'http',
  text,
  timestamp: 0,
  fields: {},
  ...extra,
});

const bytes = (line: string) => Buffer.byteLength(line);
/** What a reader sees: the text without the codes we add. */
const visible = (line: string) => line.replace(/\x03\d\d|[\x02\x0f]/g, '');

t.test('colours by severity, the object in bold, reset at the end', async (t) => {
  const colours: [Severity, string][] = [
    ['critical', '04'],
    ['warning', '07'],
    ['ok', '03'],
    ['unknown', '06'],
  ];
  for (const [severity, colour] of colours) {
    t.same(renderIrcLines(message('web01!http is CRITICAL: refused', { severity }), { colours: true, maxBytes: 400 }), [
      `\x03${colour}\x02web01!http\x02 is CRITICAL: refused\x0f`,
    ], severity);
  }
  t.same(renderIrcLines(message('Downtime for web01!http', { severity: 'info' }), { colours: true, maxBytes: 400 }), ['Downtime for \x02web01!http\x02'], 'info keeps the client colour');
  t.same(
    renderIrcLines(message('db01 is DOWN', { host: 'db01', service: undefined }), { colours: true, maxBytes: 400 }),
    ['\x0304\x02db01\x02 is DOWN\x0f'],
    'a host is bolded by its name',
  );
  t.same(renderIrcLines(message('relay notice', { host: undefined, service: undefined }), { colours: true, maxBytes: 400 }), ['\x0304relay notice\x0f'], 'no object, no bold');
  t.same(renderIrcLines(message('something else happened'), { colours: true, maxBytes: 400 }), ['\x0304something else happened\x0f'], 'object not in the text');
});

t.test('without colours: plain text, no codes at all', async (t) => {
  t.same(renderIrcLines(message('web01!http is CRITICAL'), { colours: false, maxBytes: 400 }), ['web01!http is CRITICAL']);
});

t.test('a comma right after the colour code is kept from becoming a background colour', async (t) => {
  const [line] = renderIrcLines(message(',5 checks failed', { host: undefined, service: undefined }), { colours: true, maxBytes: 400 });
  t.equal(line, '\x0304\x02\x02,5 checks failed\x0f');
});

t.test('event text cannot inject IRC commands or formatting', async (t) => {
  const injected = message('web01!http:\r\nQUIT :pwned\0\x07\x02bold\x03\u2028next\x85x\x7f');
  for (const colours of [true, false]) {
    const lines = renderIrcLines(injected, { colours, maxBytes: 400 });
    t.equal(lines.length, 1, 'still one line');
    t.notMatch(lines[0], /[\r\n\0\x07\x7f\x85\u2028]/, 'no line breaks, NUL or other controls');
    t.equal(visible(lines[0]), 'web01!http: QUIT :pwned bold next x', 'each run of controls became one space');
  }
  const [line] = renderIrcLines(injected, { colours: true, maxBytes: 400 });
  t.equal(line.match(/\x02/g)?.length, 2, 'only our own bold codes');
  t.equal(line.match(/\x03/g)?.length, 1, 'only our own colour code');
  t.equal(withoutControls('a\r\n\tb'), 'a b');
});

t.test('a message with no text renders as no line', async (t) => {
  t.same(renderIrcLines(message('\r\n'), { colours: true, maxBytes: 400 }), []);
});

t.test('the budget leaves room for the prefix the server adds', async (t) => {
  t.equal(textBudget('#ops'), 512 - 2 - 110 - 'PRIVMSG #ops :'.length);
  t.equal(textBudget('#äö'), 512 - 2 - 110 - 'PRIVMSG #äö :'.length - 2, 'counted in bytes');
});

t.test('long text is split into lines that fit, at spaces, in order', async (t) => {
  const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
  for (const colours of [true, false]) {
    const lines = renderIrcLines(message(`web01!http ${words}`), { colours, maxBytes: textBudget('#ops') });
    t.ok(lines.length > 1, 'more than one line');
    for (const line of lines) t.ok(bytes(line) <= textBudget('#ops'), `${bytes(line)} bytes fit`);
    t.equal(lines.map(visible).join(' '), `web01!http ${words}`, 'nothing lost or reordered, split only at spaces');
    if (colours) t.ok(lines.every((line) => line.startsWith('\x0304') && line.endsWith('\x0f')), 'each line coloured and reset on its own');
  }
});

t.test('the bold object can span a line break', async (t) => {
  // 8 bytes of the budget are kept for codes: 6 for text.
  const lines = renderIrcLines(message('xx web01!http', { severity: 'info' }), { colours: true, maxBytes: 8 + 6 });
  t.same(lines, ['xx \x02web\x02', '\x0201!htt\x02', '\x02p\x02']);
});

t.test('splitting never cuts a multi-byte character', async (t) => {
  // "€" is 3 bytes, "😀" is 4 (a surrogate pair in JavaScript): budgets that end inside each.
  for (const [char, size] of [
    ['é', 2],
    ['€', 3],
    ['😀', 4],
  ] as const) {
    for (let maxBytes = 10; maxBytes < 10 + size; maxBytes++) {
      const text = 'a'.repeat(maxBytes - 1) + char.repeat(20);
      const lines = renderIrcLines(message(text, { host: undefined }), { colours: false, maxBytes });
      const problems = lines.filter(
        (line) => bytes(line) > maxBytes || Buffer.from(line, 'utf8').toString('utf8') !== line || /[\ud800-\udbff]$|^[\udc00-\udfff]/.test(line),
      );
      t.same(problems, [], `${char} with a budget of ${maxBytes} bytes: every line fits and is whole UTF-8`);
      t.equal(lines.join(''), text, 'all characters, in order');
    }
  }
});

t.test('a space too early in the line is not worth a short line', async (t) => {
  const text = `ab ${'x'.repeat(30)}`;
  t.same(renderIrcLines(message(text, { host: undefined }), { colours: false, maxBytes: 10 }), [
    'ab xxxxxxx',
    'xxxxxxxxxx',
    'xxxxxxxxxx',
    'xxx',
  ]);
  t.same(renderIrcLines(message('aaaaaa bbbbbb', { host: undefined }), { colours: false, maxBytes: 6 }), ['aaaaaa', 'bbbbbb'], 'a space right at the cut is dropped');
});

t.test('a budget too small for any character is an error, not a loop', async (t) => {
  t.throws(() => renderIrcLines(message('text'), { colours: false, maxBytes: 3 }), RangeError);
});

t.test('incoming text loses formatting codes and controls', async (t) => {
  t.equal(plainText('\x02!ack\x02 \x0304,12web01\x03 \x1dnow\x1d\x0f'), '!ack web01 now');
  t.equal(plainText('\x04ff0000red\x04 \x16rev\x16 \x1estrike\x1e \x11mono\x11 \x1fu\x1f'), 'red rev strike mono u');
  t.equal(plainText(' \x01ACTION waves\x01 '), 'ACTION waves');
  t.equal(plainText('price: \x035 eur'), 'price:  eur', 'a colour code takes its digits');
});

t.test('longestLineBytes is never less than the longest PRIVMSG line the message makes, and at most a whole line', async (t) => {
  const wire = (target: string, relayed: RelayMessage, colours: boolean) =>
    Math.max(...renderIrcLines(relayed, { colours, maxBytes: textBudget(target) }).map((line) => Buffer.byteLength(`PRIVMSG ${target} :${line}\r\n`)));
  const cases: [string, RelayMessage][] = [
    ['#ops', message('web01!http CRITICAL: connection refused', { severity: 'critical' })],
    ['#ops', message(',starts with a comma', { severity: 'warning' })],
    ['#ops', message('line\none\u2028two\u0085three \x03 controls', { severity: 'unknown' })],
    ['#ops', message('ö'.repeat(400) + ' ' + 'x'.repeat(300), { severity: 'ok' })],
    ['a-rather-long-nick', message('\ud800 lone surrogate, then 🚨'.repeat(30), { severity: 'info' })],
  ];
  for (const [index, [target, relayed]] of cases.entries()) {
    for (const colours of [true, false]) {
      const actual = wire(target, relayed, colours);
      t.ok(longestLineBytes(relayed, target) >= actual, `case ${index} (colours ${colours}): ${longestLineBytes(relayed, target)} >= ${actual}`);
    }
  }
  const whole = Buffer.byteLength(`PRIVMSG #ops :\r\n`) + textBudget('#ops');
  t.equal(longestLineBytes(message('x'.repeat(1000), { severity: 'ok' }), '#ops'), whole, 'long text: the longest line there can be');
  t.equal(longestLineBytes(message('short', { severity: 'info' }), '#ops'), Buffer.byteLength('PRIVMSG #ops :short\r\n') + 8, 'short text: its own bytes and room for formatting');
});
