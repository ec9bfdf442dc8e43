import t from 'tap';
import {
  asLine,
  asLineList,
  buildMessage,
  firstLine,
  humanizeSeconds,
  humanizeSpan,
  oneLine,
  serviceScaleStateName,
  stateSeverity,
  stateTypeName,
  truncate,
} from '../../formatters/common.js';
import { seededRandom } from '../helpers/seeded-random.js';

t.test('oneLine joins lines with " / " and leaves no control character', async (t) => {
  t.equal(oneLine('first\nsecond\r\nthird\rfourth'), 'first / second / third / fourth');
  t.equal(oneLine('a\n\n\n  \nb'), 'a / b', 'blank lines vanish');
  t.equal(oneLine('next\u0085line\u2028sep\u2029para\vtab\fform'), 'next / line / sep / para / tab / form');
  t.equal(oneLine('\x02bold\x02 \x0304red\x0f \x00nul\x7fdel\x9bcsi'), 'bold 04red nul del csi', 'IRC codes, NUL, DEL, C1');
  t.equal(oneLine('tab\tseparated   spaces'), 'tab separated spaces');
  t.equal(oneLine('PRIVMSG #ops :hi\r\nQUIT'), 'PRIVMSG #ops :hi / QUIT', 'no protocol command can be smuggled');
  t.equal(oneLine(''), '');
});

t.test('firstLine keeps the plugin summary', async (t) => {
  t.equal(firstLine('DISK WARNING - / 9%\n/var 12%|/=18GB'), 'DISK WARNING - / 9%');
  t.equal(firstLine('\n\n  \nlate start\nmore'), 'late start', 'leading blank lines are skipped');
  t.equal(firstLine('\u0007ding\tdong'), 'ding dong');
  t.equal(firstLine(''), '');
});

/**
 * The cleaning rules written the plain way, as the fast paths must give them. oneLine leaves
 * text with no control character, no double space and no space at either end alone; any other
 * it splits at line breaks, cleans each line and joins the non-empty ones. firstLine is oneLine
 * of the first line that gives something.
 */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
function plainOneLine(text: string): string {
  if (!/^ | $| {2}|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) return text;
  return text
    .split(LINE_BREAKS)
    .map((line) => line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim())
    .filter((line) => line !== '')
    .join(' / ');
}
function plainFirstLine(text: string): string {
  return text.split(LINE_BREAKS).map(plainOneLine).find((line) => line !== '') ?? '';
}

/** Deterministic strings of the characters the cleaning cares about, in every order. */
function awkwardTexts(count: number): string[] {
  const pieces = ['a', 'bc', ' ', '  ', '\r', '\n', '\r\n', '\v', '\f', '\t', '\x00', '\x1b', '\x7f', '\u0085', '\u2028', '\u2029', '\u00a0', '🔥'];
  const next = seededRandom(0x9e3779b9);
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 10) }, () => pieces[Math.floor(next() * pieces.length)]).join(''),
  );
}

t.test('oneLine and firstLine clean exactly as the plain rules say', async (t) => {
  const differences: string[] = [];
  for (const text of [...awkwardTexts(100_000), 'very long output '.repeat(200), `${'x '.repeat(100)}\n\n  second`]) {
    if (oneLine(text) !== plainOneLine(text)) differences.push(`oneLine(${JSON.stringify(text)}) = ${JSON.stringify(oneLine(text))}`);
    if (firstLine(text) !== plainFirstLine(text)) differences.push(`firstLine(${JSON.stringify(text)}) = ${JSON.stringify(firstLine(text))}`);
  }
  t.same(differences.slice(0, 20), []);
});

t.test('asLine and asLineList read names and short texts from loose JSON', async (t) => {
  t.equal(asLine('  web01 \n'), 'web01');
  t.equal(asLine(42), '42');
  t.equal(asLine(true), 'true');
  t.equal(asLine(''), undefined);
  t.equal(asLine(' \r\n '), undefined);
  t.equal(asLine(null), undefined);
  t.equal(asLine({ name: 'x' }), undefined);
  t.equal(asLine(['x']), undefined);
  t.same(asLineList(['oncall', '', null, 7, 'db\nadmin']), ['oncall', '7', 'db / admin']);
  t.same(asLineList('oncall'), []);
});

t.test('truncate cuts to the width with an ellipsis', async (t) => {
  t.equal(truncate('short', 10), 'short');
  t.equal(truncate('exactly10!', 10), 'exactly10!');
  t.equal(truncate('eleven chars', 10), 'eleven ch…');
  t.equal(truncate('eleven chars', 10).length, 10);
  t.equal(truncate('abc', 1), '…');
  t.equal(truncate('abc', 0), '');
  t.equal(truncate('abc', -5), '');
  t.equal(truncate('abcdef', 4.7), 'abc…', 'fractional widths round down');
});

t.test('truncate never splits a surrogate pair', async (t) => {
  const text = 'ab🔥🔥🔥';
  t.equal(truncate(text, 4), 'ab…', 'the pair that would be halved goes whole');
  t.equal(truncate(text, 5), 'ab🔥…');
  t.equal(truncate(text, 6), 'ab🔥…', 'length 6 would halve the second pair');
  for (let width = 1; width <= text.length; width++) {
    const cut = truncate(text, width);
    t.ok(cut.length <= width, `width ${width}`);
    t.notMatch(cut, /[\ud800-\udbff](?![\udc00-\udfff])/, `width ${width}: no lone high surrogate`);
  }
});

t.test('durations are humanized to the two largest units', async (t) => {
  t.equal(humanizeSeconds(176400), '2 days, 1 hour');
  t.equal(humanizeSeconds(2 * 3600 + 3 * 60 + 7), '2 hours, 3 minutes');
  t.equal(humanizeSeconds(0), '0 seconds');
  t.equal(humanizeSeconds(-1), undefined);
  t.equal(humanizeSeconds(undefined), undefined);
  t.equal(humanizeSpan(1493430112, 1493606512), '2 days, 1 hour');
  t.equal(humanizeSpan(10, 5), undefined, 'an end before the start says nothing');
  t.equal(humanizeSpan(undefined, 5), undefined);
  t.equal(humanizeSpan(5, undefined), undefined);
});

t.test('states are named on the right scale', async (t) => {
  t.same([0, 1, 2, 3].map((state) => serviceScaleStateName(state, false)), ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);
  t.same([0, 1, 2, 3].map((state) => serviceScaleStateName(state, true)), ['UP', 'UP', 'DOWN', 'DOWN']);
  for (const odd of [4, 99, -1, 1.5, '2', null, undefined]) {
    t.equal(serviceScaleStateName(odd, false), undefined, `service state ${String(odd)}`);
    t.equal(serviceScaleStateName(odd, true), undefined, `host state ${String(odd)}`);
  }
  t.equal(stateTypeName(0), 'SOFT');
  t.equal(stateTypeName(1), 'HARD');
  t.equal(stateTypeName('1'), undefined);
  t.same(
    ['UP', 'OK', 'WARNING', 'CRITICAL', 'DOWN', 'UNKNOWN', undefined].map(stateSeverity),
    ['ok', 'ok', 'warning', 'critical', 'critical', 'unknown', 'unknown'],
  );
});

t.test('buildMessage fills the message and keeps only present fields, as given', async (t) => {
  const message = buildMessage(
    { type: 'StateChange', timestamp: 1700000000.5 },
    { width: 80 },
    {
      severity: 'critical',
      target: { host: 'web01', service: 'http', object: 'web01!http' },
      state: 'CRITICAL',
      stateType: 'HARD',
      body: () => ({
        line: { lead: 'CRITICAL web01!http', detail: 'refused', trail: ' (was OK)' },
        fields: { output: 'refused', absent: undefined, count: 3, flag: false },
      }),
    },
  );
  t.same(message, {
    eventType: 'StateChange',
    severity: 'critical',
    host: 'web01',
    service: 'http',
    text: 'CRITICAL web01!http: refused (was OK)',
    timestamp: 1700000000.5,
    state: 'CRITICAL',
    stateType: 'HARD',
    fields: {
      type: 'StateChange',
      host: 'web01',
      service: 'http',
      object: 'web01!http',
      state: 'CRITICAL',
      state_type: 'HARD',
      output: 'refused',
      count: 3,
      flag: false,
    },
  });
  t.notOk('absent' in message.fields);
});

t.test('a host message has no service, a message without an object no host', async (t) => {
  const host = buildMessage({ type: 'X' }, { width: 80 }, {
    severity: 'info',
    target: { host: 'db01', object: 'db01' },
    body: () => ({ line: { lead: 'x' } }),
  });
  t.equal(host.host, 'db01');
  t.equal(host.service, undefined);
  t.equal(host.timestamp, 0, 'no timestamp gives 0');
  const untimed = JSON.parse('{"type": "X", "timestamp": "soon"}');
  const none = buildMessage(untimed, { width: 80 }, { severity: 'info', body: () => ({ line: { lead: 'x' } }) });
  t.equal(none.host, undefined);
  t.equal(none.state, undefined);
  t.equal(none.timestamp, 0, 'a timestamp that is no number gives 0');
});

t.test('a long line gives up its free text first', async (t) => {
  const spec = {
    severity: 'info' as const,
    body: () => ({ line: { lead: 'CRITICAL web01!http', detail: 'x'.repeat(200), trail: ' (was OK for 2 hours)' } }),
  };
  const fitted = buildMessage({ type: 'X' }, { width: 60 }, spec).text;
  t.equal(fitted.length, 60);
  t.ok(fitted.startsWith('CRITICAL web01!http: xxx'));
  t.ok(fitted.endsWith('x… (was OK for 2 hours)'));
  const cramped = buildMessage({ type: 'X' }, { width: 45 }, spec).text;
  t.equal(cramped, 'CRITICAL web01!http: xxxxxxxxxxxxxxxxxxxxxxx…', 'too little room for the detail: the line is cut');
  const noDetail = buildMessage({ type: 'X' }, { width: 10 }, { severity: 'info', body: () => ({ line: { lead: 'Icinga2 event Something' } }) });
  t.equal(noDetail.text, 'Icinga2 e…');
});

t.test('the detail follows its separator, which goes when there is no detail', async (t) => {
  const line = (parts: { lead: string; detail?: string; separator?: string }) =>
    buildMessage({ type: 'X' }, { width: 80 }, { severity: 'info', body: () => ({ line: parts }) }).text;
  t.equal(line({ lead: 'alice scheduled downtime', separator: ' because ', detail: 'backup' }), 'alice scheduled downtime because backup');
  t.equal(line({ lead: 'alice scheduled downtime', separator: ' because ' }), 'alice scheduled downtime');
  t.equal(line({ lead: 'OK web01', detail: '' }), 'OK web01');
});

t.test('the body is worked out on first read, once, and not at all for a message no one reads', async (t) => {
  let calls = 0;
  const spec = {
    severity: 'critical' as const,
    target: { host: 'web01', service: 'http', object: 'web01!http' },
    state: 'CRITICAL',
    notificationType: 'PROBLEM',
    body: () => {
      calls++;
      return { line: { lead: '[PROBLEM] web01!http is CRITICAL' }, fields: { users: 'oncall' } };
    },
  };
  const unread = buildMessage({ type: 'Notification' }, { width: 80 }, spec);
  t.match(unread, { eventType: 'Notification', host: 'web01', service: 'http', state: 'CRITICAL', notificationType: 'PROBLEM' });
  t.equal(calls, 0, 'the facts noise control reads need no body');
  const message = buildMessage({ type: 'Notification' }, { width: 80 }, spec);
  t.equal(message.text, '[PROBLEM] web01!http is CRITICAL');
  t.same(message.fields, { type: 'Notification', host: 'web01', service: 'http', object: 'web01!http', state: 'CRITICAL', notification_type: 'PROBLEM', users: 'oncall' });
  t.equal(calls, 1);
  message.text = 'from a template';
  t.equal(message.text, 'from a template', 'text can be replaced');
  message.fields = { replaced: true };
  t.same(message.fields, { replaced: true }, 'fields too');
  t.equal(calls, 1, 'worked out once');
});

t.test('a body that throws gives the generic line, with the error, and keeps the facts', async (t) => {
  const message = buildMessage({ type: 'StateChange', timestamp: 5 }, { width: 80 }, {
    severity: 'critical',
    target: { host: 'web01', object: 'web01' },
    state: 'DOWN',
    stateType: 'HARD',
    body: () => {
      throw new TypeError('no output\nat line 3');
    },
  });
  t.equal(message.text, 'Icinga2 event StateChange for web01');
  t.match(message, { eventType: 'StateChange', severity: 'critical', host: 'web01', state: 'DOWN', stateType: 'HARD', timestamp: 5 });
  t.same(message.fields, { type: 'StateChange', host: 'web01', object: 'web01', state: 'DOWN', state_type: 'HARD', format_error: 'no output / at line 3' });
  const thrownString = buildMessage({ type: 'X' }, { width: 80 }, {
    severity: 'info',
    body: () => {
      throw 'a string';
    },
  });
  t.equal(thrownString.fields.format_error, 'a string');
});
