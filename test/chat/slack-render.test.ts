import t from 'tap';
import {
  SECTION_TEXT_LIMIT,
  SEVERITY_EMOJI,
  escapeSlackText,
  renderSlackMessage,
  unescapeSlackText,
} from '../../src/chat/slack/render.js';
import type { RelayMessage } from '../../src/message.js';

const message = (overrides: Partial<RelayMessage>): RelayMessage => ({
  eventType: 'StateChange',
  severity: 'critical',
  host: 'web01',
  service: 'http',
  text: 'CRITICAL web01!http: HTTP CRITICAL - connection refused',
  timestamp: 1_700_000_000,
  fields: {},
  ...overrides,
});

const mrkdwn = (rendered: ReturnType<typeof renderSlackMessage>) => rendered.blocks[0].text.text;

t.test('one mrkdwn section: severity emoji, the object in bold, a plain text fallback', async (t) => {
  const rendered = renderSlackMessage(message({}));
  t.same(rendered, {
    text: 'CRITICAL web01!http: HTTP CRITICAL - connection refused',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: ':red_circle: CRITICAL *web01!http*: HTTP CRITICAL - connection refused', verbatim: true } }],
  });
  t.equal(mrkdwn(renderSlackMessage(message({ severity: 'ok', service: undefined, text: 'UP web01: PING OK' }))), ':large_green_circle: UP *web01*: PING OK');
});

t.test('every severity has its own marker', async (t) => {
  const markers = (['critical', 'warning', 'ok', 'unknown', 'info'] as const).map((severity) => {
    const text = mrkdwn(renderSlackMessage(message({ severity })));
    t.ok(text.startsWith(`${SEVERITY_EMOJI[severity]} `), `${severity} leads with ${SEVERITY_EMOJI[severity]}`);
    return SEVERITY_EMOJI[severity];
  });
  t.same(markers, [':red_circle:', ':warning:', ':large_green_circle:', ':large_purple_circle:', ':information_source:']);
  t.equal(new Set(markers).size, markers.length);
});

t.test('event text cannot mention, link or format through & < >', async (t) => {
  const rendered = renderSlackMessage(
    message({ text: 'CRITICAL web01!http: <!channel> <@U0BOSS> <https://evil.example|click> a && b &amp; c > d' }),
  );
  const escaped = '&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; a &amp;&amp; b &amp;amp; c &gt; d';
  t.equal(mrkdwn(rendered), `:red_circle: CRITICAL *web01!http*: ${escaped}`);
  t.equal(rendered.text, `CRITICAL web01!http: ${escaped}`, 'the fallback is escaped too: notifications parse it');
  t.notMatch(mrkdwn(rendered) + rendered.text, /<|>/, 'no markup opens anywhere');
  t.equal(rendered.blocks[0].text.verbatim, true, 'and bare @here, #channel or URLs are not parsed into mentions or links');
});

t.test('the object is bolded where it stands as a word, escaped like the rest', async (t) => {
  t.equal(
    mrkdwn(renderSlackMessage(message({ severity: 'info', text: 'web01!http checked CRITICAL: web01!http down', service: 'http' }))),
    ':information_source: *web01!http* checked CRITICAL: web01!http down',
    'only the first occurrence',
  );
  t.equal(
    mrkdwn(renderSlackMessage(message({ host: 'web', service: undefined, text: 'DOWN webserver behind web: unreachable' }))),
    ':red_circle: DOWN webserver behind *web*: unreachable',
    'not inside a longer name',
  );
  t.equal(
    mrkdwn(renderSlackMessage(message({ host: 'a<b>&c', service: undefined, text: 'DOWN a<b>&c: gone' }))),
    ':red_circle: DOWN *a&lt;b&gt;&amp;c*: gone',
  );
  t.equal(
    mrkdwn(renderSlackMessage(message({ text: 'Downtime removed by alice' }))),
    ':red_circle: *web01!http* Downtime removed by alice',
    'an object the text does not name still leads',
  );
  t.equal(
    mrkdwn(renderSlackMessage(message({ eventType: 'Relay', severity: 'warning', host: undefined, service: undefined, text: 'icinga-relay dropped 3 older messages' }))),
    ':warning: icinga-relay dropped 3 older messages',
    'no object, no bold',
  );
});

t.test('a long text is cut to what a section block holds, never inside an entity or a surrogate pair', async (t) => {
  const fits = mrkdwn(renderSlackMessage(message({ text: `CRITICAL web01!http: ${'x'.repeat(2000)}` })));
  t.notOk(fits.endsWith('…'), 'text that fits is not cut');

  for (const filler of ['&', 'x', '😀', 'x&']) {
    const text = mrkdwn(renderSlackMessage(message({ text: `CRITICAL web01!http: ${filler.repeat(3000)}` })));
    t.ok(text.length <= SECTION_TEXT_LIMIT, `${JSON.stringify(filler)}: ${text.length} characters`);
    t.ok(text.length > SECTION_TEXT_LIMIT - 6, 'cut no shorter than needed');
    t.ok(text.endsWith('…'));
    t.match(text, /\*web01!http\*/, 'the object survives');
    t.notMatch(text, /&(a|am|amp)?…$/, 'no half entity');
    t.notMatch(text, /[\ud800-\udbff]…$/, 'no half surrogate pair');
  }
});

t.test('escaping and unescaping are inverse; unescaping what Slack sends', async (t) => {
  for (const text of ['a & b', '<@U123>', '&lt; literally', '&amp;gt;', 'plain']) t.equal(unescapeSlackText(escapeSlackText(text)), text);
  t.equal(unescapeSlackText('ack web01 &amp;&amp; rm &lt;x&gt;'), 'ack web01 && rm <x>');
  t.equal(unescapeSlackText('&amp;lt;'), '&lt;', 'decoded once, not twice');
});

t.test('no control character reaches Slack, in the text or the object name', async (t) => {
  const rendered = renderSlackMessage(message({ service: 'ht\ttp', text: 'CRITICAL web01!ht\ttp: refused\r\nnext\x1b[0m' }));
  t.equal(rendered.text, 'CRITICAL web01!ht tp: refused next [0m');
  t.equal(mrkdwn(rendered), ':red_circle: CRITICAL *web01!ht tp*: refused next [0m', 'the cleaned name is still found and bold');
});
