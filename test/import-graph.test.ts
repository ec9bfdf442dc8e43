/**
 * The layering rules of the README, checked on the source: no import cycles in src/ and formatters/,
 * nothing imports upward, and a chat backend's descriptor does not load its libraries.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { findCycles, importsIn, readImportGraph, staticReach, type ImportGraph } from './helpers/import-graph.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const graph = readImportGraph(root, ['src', 'formatters']);

/** A graph from `file: target target` lines, for checking the checks. */
function syntheticGraph(edges: Record<string, string[]>): ImportGraph {
  return new Map(Object.entries(edges).map(([file, targets]) => [file, targets.map((target) => ({ target, dynamic: target.startsWith('~') }))]));
}

t.test('the import reader finds every form of import and export-from', async (t) => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    'import {',
    '  c,',
    '  type D,',
    "} from './c.js';",
    "export { e } from './e.js';",
    "export * from './f.js';",
    "import './side-effect.js';",
    "import x from 'zod';",
    "const later = () => import('./lazy.js');",
    "const text = 'not an import from \"./g.js\"';",
  ].join('\n');
  t.same(importsIn(text), [
    { specifier: './a.js', dynamic: false },
    { specifier: '../b.js', dynamic: false },
    { specifier: './c.js', dynamic: false },
    { specifier: './e.js', dynamic: false },
    { specifier: './f.js', dynamic: false },
    { specifier: './side-effect.js', dynamic: false },
    { specifier: 'zod', dynamic: false },
    { specifier: './lazy.js', dynamic: true },
  ]);
});

t.test('the cycle finder finds cycles, self-imports included, and passes a graph without one', async (t) => {
  t.same(findCycles(syntheticGraph({ a: ['b'], b: ['c'], c: ['d'], d: [] })), []);
  t.same(findCycles(syntheticGraph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })), [], 'a diamond is no cycle');
  t.same(findCycles(syntheticGraph({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] })), [['a', 'b', 'c', 'a']]);
  t.same(findCycles(syntheticGraph({ a: ['a'] })), [['a', 'a']]);
  t.same(
    findCycles(syntheticGraph({ index: ['ack', 'help'], ack: ['index'], help: ['index'], other: ['x'], x: ['other'] })).sort(),
    [
      ['ack', 'index', 'ack'],
      ['other', 'x', 'other'],
    ],
    'one cycle shown per tangle',
  );
});

t.test('the reach check follows static imports only', async (t) => {
  const lazy = syntheticGraph({ descriptor: ['config', '~backend'], config: ['schema'], schema: [], '~backend': ['library'] });
  t.equal(staticReach(lazy, 'descriptor', (target) => target === 'library'), undefined);
  const eager = syntheticGraph({ descriptor: ['config'], config: ['library'] });
  t.same(staticReach(eager, 'descriptor', (target) => target === 'library'), ['descriptor', 'config', 'library']);
});

t.test('src/ and formatters/ have no import cycle', async (t) => {
  t.ok(graph.size > 100, `read the graph (${graph.size} files)`);
  t.ok(graph.has('src/relay.ts') && graph.has('formatters/index.ts'));
  t.same(findCycles(graph), []);
});

/** Imports from files under one of `from` into a folder or file under one of `to`. */
function violations(from: string[], to: string[], except: (file: string) => boolean = () => false): string[] {
  const under = (file: string, prefixes: string[]) => prefixes.some((prefix) => file === prefix || file.startsWith(`${prefix}/`));
  return [...graph].flatMap(([file, imports]) =>
    under(file, from) && !except(file) ? imports.filter(({ target }) => under(target, to)).map(({ target }) => `${file} -> ${target}`) : [],
  );
}

t.test('lower layers never import higher ones', async (t) => {
  const top = ['src/relay.ts', 'src/cli.ts', 'src/health.ts', 'src/catchup.ts', 'src/pipeline.ts'];
  t.same(violations(['src/util'], ['src', 'formatters']).filter((edge) => !/ -> src\/(util\/|clock\.ts|message\.ts)/.test(edge)), [], 'src/util imports only src/util, clock and message');
  t.same(violations(['src/icinga', 'src/util', 'formatters'], ['src/chat', 'src/commands', 'src/noise', 'src/config', ...top]), [], 'the Icinga2 client, utilities and formatters know nothing of chat, commands, noise control, config or the relay');
  t.same(violations(['src/icinga', 'src/util'], ['formatters']), [], 'the Icinga2 client and utilities do not use the formatters');
  t.same(violations(['src/chat', 'src/commands', 'src/noise'], top), [], 'chat, commands and noise control do not import the relay');
  t.same(
    violations(['src/config'], ['src/chat', 'src/commands'], (file) => file === 'src/config/index.ts'),
    [],
    'config sections do not depend on chat or commands: the index composes them',
  );
  t.same(violations(['src/chat', 'src/noise', 'src/commands'], ['src/config/index.ts']), [], 'nothing below the config loader imports it');
});

t.test('a chat backend is a folder whose descriptor does not load its libraries', async (t) => {
  const descriptors = [...graph.keys()].filter((file) => /^src\/chat\/[^/]+\/index\.ts$/.test(file));
  t.same(descriptors.sort(), ['src/chat/console/index.ts', 'src/chat/irc/index.ts', 'src/chat/slack/index.ts', 'src/chat/xmpp/index.ts']);
  const registry = graph.get('src/chat/registry.ts')!.map(({ target }) => target);
  for (const descriptor of descriptors) {
    t.ok(registry.includes(descriptor), `the registry lists ${descriptor}`);
    t.equal(
      staticReach(graph, descriptor, (target) => /^(irc-framework|@xmpp\/|@slack\/|saslmechanisms)/.test(target)),
      undefined,
      `${descriptor} loads no chat library when imported`,
    );
  }
  t.equal(
    staticReach(graph, 'src/config/index.ts', (target) => /^(irc-framework|@xmpp\/|@slack\/|saslmechanisms)/.test(target)),
    undefined,
    'reading the config loads no chat library',
  );
});
