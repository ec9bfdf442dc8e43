/**
 * The import graph of the project's own TypeScript, read from the import and export-from statements
 * (type-only ones too: a cycle of types is still a tangle), for the checks in test/import-graph.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Import {
  /** A project file (relative to the root, .ts) or a package name as written. */
  target: string;
  /** `import('...')`: loaded when called, not when the importing module loads. */
  dynamic: boolean;
}

/** File (relative to the root) → what it imports. */
export type ImportGraph = Map<string, Import[]>;

// `import x from '...'`, `import type {...} from '...'`, `export {...} from '...'`, `export * from '...'`,
// `import '...'`; the [^;]*? does not cross into the next statement.
const STATIC = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The specifiers in one file's text, in order. */
export function importsIn(text: string): { specifier: string; dynamic: boolean }[] {
  const found: { specifier: string; dynamic: boolean; at: number }[] = [];
  for (const match of text.matchAll(STATIC)) found.push({ specifier: match[1] ?? match[2], dynamic: false, at: match.index });
  for (const match of text.matchAll(DYNAMIC)) found.push({ specifier: match[1], dynamic: true, at: match.index });
  return found.sort((a, b) => a.at - b.at).map(({ specifier, dynamic }) => ({ specifier, dynamic }));
}

function tsFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The graph of every .ts file under `folders` (relative to `root`); relative specifiers resolve to files. */
export function readImportGraph(root: string, folders: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of folders.flatMap((folder) => tsFiles(join(root, folder)))) {
    const imports = importsIn(readFileSync(file, 'utf8')).map(({ specifier, dynamic }) => ({
      target: specifier.startsWith('.') ? relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier,
      dynamic,
    }));
    graph.set(relative(root, file), imports);
  }
  return graph;
}

/** Every import cycle, each as the files around it (the first repeated at the end); none is an empty list. */
export function findCycles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components: a component of two or more files, or a file importing itself, holds a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const next = (file: string) => [...new Set((graph.get(file) ?? []).map((edge) => edge.target).filter((target) => graph.has(target)))];

  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next(file)) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || next(file).includes(file)) components.push(component);
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);

  // One readable cycle per component: a shortest way from its first file back to itself.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0];
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const target of next(file).filter((target) => members.has(target))) {
        if (target === start) {
          const path: string[] = [];
          for (let at = file; at !== start; at = cameFrom.get(at)!) path.unshift(at);
          return [start, ...path, start];
        }
        if (!cameFrom.has(target)) {
          cameFrom.set(target, file);
          queue.push(target);
        }
      }
    }
    return component;
  });
}

/** The chain of static imports from `from` to the first target `forbidden` accepts; undefined when there is none. */
export function staticReach(graph: ImportGraph, from: string, forbidden: (target: string) => boolean): string[] | undefined {
  const cameFrom = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const { target, dynamic } of graph.get(file) ?? []) {
      if (dynamic || cameFrom.has(target)) continue;
      cameFrom.set(target, file);
      if (forbidden(target)) {
        const chain = [target];
        for (let at = file; at !== ''; at = cameFrom.get(at)!) chain.unshift(at);
        return chain;
      }
      if (graph.has(target)) queue.push(target);
    }
  }
  return undefined;
}
