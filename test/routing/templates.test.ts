import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { formatEvent } from '../../formatters/index.js';
import { isEventType, type IcingaEvent } from '../../src/icinga/event-types.js';
import { Pipeline } from '../../src/pipeline.js';
import { createRouter } from '../../src/router.js';
import { parseTemplate, renderTemplate, TEMPLATE_FIELDS } from '../../src/templates.js';

const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/events/${name}`, 'utf8')) as IcingaEvent;

t.test('the documented fields of each type are the ones its formatter sets', async (t) => {
  for (const name of readdirSync('fixtures/events')) {
    const event = fixture(name);
    if (!isEventType(event.type)) continue;
    const extra = Object.keys(formatEvent(event, { width: 400 }).fields).filter((field) => !TEMPLATE_FIELDS[event.type as keyof typeof TEMPLATE_FIELDS].includes(field));
    t.same(extra, [], name);
  }
});

t.test('rendering: fields, absent fields, braces, one line, width', async (t) => {
  const message = formatEvent(fixture('StateChange-service-multiline.json'), { width: 400 });
  const render = (source: string, width = 400) => renderTemplate(parseTemplate(source, 'StateChange').template, message, width);
  t.equal(render('{state} {object}: {output}'), 'WARNING db01!disk: DISK WARNING - free space: / 9% (2 GB)');
  t.equal(render('{{{state}}} {previous_state} [{duration}]'), '{WARNING} OK []', 'literal braces; an absent field is nothing');
  t.equal(render('  {state}\n\tand\u0007 more  '), 'WARNING / and more', 'one line, no control characters');
  t.equal(render('{object} {output}', 40).length, 40, 'cut to the width');
});

t.test('the pipeline applies a template to delivered messages only', async (t) => {
  const templates = new Map([['StateChange', parseTemplate('{state}: {object}', 'StateChange').template]]);
  const pipeline = new Pipeline({ width: 400, router: createRouter({ destinations: ['console'], softStates: false }), templates });
  t.equal(pipeline.process(fixture('StateChange-service-critical.json'))?.message.text, 'CRITICAL: web01!http');
  t.match(pipeline.process(fixture('DowntimeAdded-host-fixed.json'))?.message.text, /downtime for db01/, 'other types keep the formatter text');
  t.equal(pipeline.process(fixture('StateChange-service-soft.json')), undefined);
  const constructor = { type: 'constructor', timestamp: 1 } as IcingaEvent;
  t.ok(pipeline.process(constructor), 'an odd type name finds no template');
});
