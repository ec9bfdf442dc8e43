/**
 * The config's JSON Schema, for editors (yaml-language-server completes and checks keys with it):
 * the zod schema's input side, with each key described by the comment above it in
 * config.example.yml, so the example stays the one place keys are explained. Keys the example
 * shows only commented out (`#   password_file: ...`) take the comment block that shows them.
 * `npm run schema` writes config.schema.json; a test keeps the committed file current.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { bareConfigSchema } from './index.js';

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; description?: string };

/** The comment's text without the `#` and the example lines (`key: value`, `- item`) it shows. */
function prose(comment: string): string {
  return comment
    .split('\n')
    .map((line) => line.replace(/^ ?/, ''))
    .filter((line) => !/^\s{2,}\S/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The example with its commented-out sections made live, so their keys carry their comments too:
 * a block starts with `# key:` (and at most a one-word value) right after the `#` and goes on while lines continue deeper
 * (`#   child: ...`, `#   # its comment`). Lines such as `#   url: [a, b]` inside a prose
 * comment are alternatives and stay comments.
 */
export function uncommentExample(exampleYaml: string): string {
  let block: string | undefined;
  return exampleYaml
    .split('\n')
    .map((line) => {
      if (block !== undefined && line.startsWith(`${block}#   `)) return block + line.slice(block.length + 2);
      if (block !== undefined && line.startsWith(`${block}#`) && /^#\s*$/.test(line.slice(block.length))) return '';
      block = undefined;
      // `# section:` or `# key: value` with a one-word value; prose such as "restarted: the event ..." is not.
      const start = /^(\s*)# ([a-z_]+:(?: +\S+)?)$/.exec(line);
      if (!start) return line;
      block = start[1];
      return block + start[2];
    })
    .join('\n');
}

/** Key paths (`icinga.url`, `routes[].match.host`) to their description, from the example's comments. */
export function exampleDescriptions(exampleYaml: string): Map<string, string> {
  const descriptions = new Map<string, string>();
  const visit = (node: Node | null | undefined, path: string, inherited?: string) => {
    if (isSeq(node)) {
      for (const item of node.items) visit(item as Node, `${path}[]`);
      return;
    }
    if (!isMap(node)) return;
    node.items.forEach((pair, index) => {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const key = `${path ? `${path}.` : ''}${String(pair.key.value)}`;
      // The first key's comment is parsed as the map's when the map starts a block.
      const comment = pair.key.commentBefore ?? (index === 0 ? (inherited ?? node.commentBefore) : undefined);
      if (comment) {
        const text = prose(comment);
        if (text) descriptions.set(key, text);
        // Keys shown only commented out, with the block that shows them.
        for (const [, shown] of comment.matchAll(/^ {3,}([a-z_]+):/gm)) if (!descriptions.has(`${path ? `${path}.` : ''}${shown}`)) descriptions.set(`${path ? `${path}.` : ''}${shown}`, text);
      }
      visit(pair.value as Node, key, (pair.value as Node | null)?.commentBefore ?? undefined);
    });
  };
  visit(parseDocument(uncommentExample(exampleYaml), { uniqueKeys: false }).contents as Node, '');
  return descriptions;
}

/**
 * Sets each property's description: its own from `descriptions`, or else its parent's (the
 * example explains `rate.burst` and `rate.per_second` together, above `rate`). Collects the key
 * paths left without any.
 */
function describe(schema: JsonSchema, descriptions: Map<string, string>, path: string, inherited: string | undefined, missing: string[]): void {
  for (const branch of schema.anyOf ?? []) describe(branch, descriptions, path, inherited, missing);
  if (schema.items) describe(schema.items, descriptions, `${path}[]`, inherited, missing);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const keyPath = `${path ? `${path}.` : ''}${key}`;
    const description = descriptions.get(keyPath) ?? inherited;
    if (description) property.description = description;
    else missing.push(keyPath);
    describe(property, descriptions, keyPath, description, missing);
  }
}

export interface ConfigJsonSchema {
  schema: JsonSchema;
  /** Keys the example does not describe. */
  undescribed: string[];
}

export function configJsonSchema(exampleYaml: string): ConfigJsonSchema {
  const json = z.toJSONSchema(bareConfigSchema(), {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    // A section that fills itself in when absent (z.preprocess to {} and its defaults) looks
    // required from its JSON shape: ask zod whether each key may be left out.
    override: ({ zodSchema, jsonSchema }) => {
      const shape = (zodSchema as { _zod: { def: { shape?: Record<string, z.ZodType> } } })._zod.def.shape;
      if (shape && Array.isArray(jsonSchema.required)) {
        jsonSchema.required = jsonSchema.required.filter((key: string) => !shape[key]?.safeParse(undefined).success);
        if (jsonSchema.required.length === 0) delete jsonSchema.required;
      }
    },
  }) as JsonSchema;
  const undescribed: string[] = [];
  describe(json, exampleDescriptions(exampleYaml), '', undefined, undescribed);
  return {
    schema: { ...json, $id: 'https://icinga-relay.invalid/config.schema.json', title: 'icinga-relay configuration', description: 'Every key of the relay\'s config.yml; config.example.yml shows each with its default.' },
    undescribed: [...new Set(undescribed)],
  };
}
