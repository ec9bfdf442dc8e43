/**
 * config.schema.json: current with the zod schema and config.example.yml's comments, every key
 * described, and the configs we ship and test with valid against it (as an editor would check them).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, parseDocument } from 'yaml';
import { DEFAULT_CONFIG_YAML } from '../src/config/index.js';
import { configJsonSchema, uncommentExample } from '../src/config/json-schema.js';
import { configYaml } from './bench/relay-protocol.js';

const example = readFileSync('config.example.yml', 'utf8');
const committed = JSON.parse(readFileSync('config.schema.json', 'utf8')) as object;
const generated = configJsonSchema(example);
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);

t.test('the committed schema is what `npm run schema` makes now', async (t) => {
  t.same(committed, generated.schema, 'run `npm run schema` and commit config.schema.json');
});

t.test('every key is described, from the example\'s comments', async (t) => {
  t.same(generated.undescribed, []);
  const icinga = (generated.schema.properties as Record<string, { properties: Record<string, { description?: string }> }>).icinga.properties;
  t.match(icinga.url.description, /^The Icinga2 API \(required\)\. Must be https:\/\//);
  t.match(icinga.password_file.description, /read from a file/, 'a key the example shows commented out');
});

t.test('the example points editors at the schema', async (t) => {
  t.equal(example.split('\n', 1)[0], '# yaml-language-server: $schema=./config.schema.json');
});

const configs: Record<string, unknown> = {
  'config.example.yml': parse(example),
  'config.example.yml with every commented-out section live': parseDocument(uncommentExample(example), { uniqueKeys: false }).toJS(),
  'the embedded default': parse(DEFAULT_CONFIG_YAML),
  "the benchmark's config": parse(
    configYaml({
      icinga: { url: 'https://127.0.0.1:5665', caFile: '/tmp/ca.crt', username: 'relay', password: 'p' },
      events: ['StateChange'],
      irc: { port: 6667, nick: 'bench', rate: { burst: 4, perSecond: 0.5 } },
      extraYaml: ['http:', '  listen: 127.0.0.1:0'],
    }),
  ),
};

t.test('shipped and test configs validate', async (t) => {
  for (const [name, config] of Object.entries(configs)) {
    t.ok(validate(config), `${name}: ${JSON.stringify(validate.errors)}`);
  }
});

t.test('the schema refuses what the relay refuses: unknown keys, wrong types, no Icinga2 URL', async (t) => {
  for (const [why, config] of Object.entries({
    'a misspelt key': { icinga: { url: 'https://x:5665', usrename: 'relay' } },
    'a string for a number': { icinga: { url: 'https://x:5665' }, format: { width: 'wide' } },
    'no icinga.url': { icinga: { username: 'relay' } },
    'an unknown backend': { icinga: { url: 'https://x:5665' }, chat: { matrix: {} } },
  })) {
    t.notOk(validate(config), why);
  }
});
