/**
 * The V8 flags the relay runs with: the first line of src/cli.ts (`#!/usr/bin/env -S node ...`)
 * is where they are set, so this reads them from there for the tests and the benchmarks.
 */
import { readFileSync } from 'node:fs';

/** Relative to the repository, where the tests and the benchmarks run. */
const CLI_SOURCE = 'src/cli.ts';

/** The flags of the shebang, e.g. ['--max-semi-space-size=4']. */
export function relayV8Flags(): string[] {
  const first = readFileSync(CLI_SOURCE, 'utf8').split('\n', 1)[0];
  const match = /^#!\/usr\/bin\/env -S node (.+)$/.exec(first);
  if (!match) throw new Error(`src/cli.ts does not start with "#!/usr/bin/env -S node ...": ${first}`);
  return match[1].split(' ');
}
