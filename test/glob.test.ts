import t from 'tap';
import { globMatcher, patternMatcher } from '../src/glob.js';

const NAMES = ['web01', 'web01!http', 'web02!disk', 'db01!http', 'Routeur-ÄÖÜ'];

t.test('one matcher, two semantics: whole names by default, a plain word contained with containsWithoutWildcards', async (t) => {
  t.same(NAMES.filter(globMatcher('web01')), ['web01'], 'routes: whole names');
  t.same(NAMES.filter(globMatcher('web01', { containsWithoutWildcards: true })), ['web01', 'web01!http']);
  t.same(NAMES.filter(patternMatcher('http')), ['web01!http', 'db01!http'], 'the commands: a word is contained');
  t.same(NAMES.filter(patternMatcher('*!http')), NAMES.filter(globMatcher('*!http')), 'with wildcards both are the same glob');
  t.same(NAMES.filter(patternMatcher('web0?')), ['web01'], 'a wildcard makes it a whole-name glob');
  t.same(NAMES.filter(globMatcher('routeur-äöü')), ['Routeur-ÄÖÜ'], 'case ignored, non-ASCII too');
});
