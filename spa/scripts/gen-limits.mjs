#!/usr/bin/env node
/**
 * Writes src/lib/api/limits.ts from openapi.json: the bounds the server states for what
 * the dashboard sends — each request body's fields (schemas named `…Request`) and each
 * operation's query parameters — so forms show the server's ranges instead of copies.
 *
 * openapi-typescript emits types only, and importing openapi.json itself would put the
 * whole document into the bundle; this keeps only the numbers, lengths and patterns.
 * Run by `npm run gen:api` after the types, and drift-checked with them by
 * `make schema-check`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(root, 'openapi.json');
const TARGET = path.join(root, 'src/lib/api/limits.ts');

/** The JSON Schema keywords that bound a value, in the order they are written out. */
const KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems'];

/**
 * A field's bounds (with its array items' under `items`), or null when it states none.
 * @param {Record<string, unknown>} schema
 * @returns {Record<string, unknown> | null}
 */
function limitsOf(schema) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const keyword of KEYWORDS) {
    if (schema[keyword] !== undefined) out[keyword] = schema[keyword];
  }
  if (schema.items && typeof schema.items === 'object') {
    const items = limitsOf(/** @type {Record<string, unknown>} */ (schema.items));
    if (items) out.items = items;
  }
  return Object.keys(out).length ? out : null;
}

/**
 * `{name: limits}` for the entries that state any, sorted by name so the output is stable.
 * @param {[string, Record<string, unknown>][]} entries
 */
function limitedFields(entries) {
  /** @type {Record<string, Record<string, unknown>>} */
  const out = {};
  for (const [name, schema] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    const limits = limitsOf(schema);
    if (limits) out[name] = limits;
  }
  return out;
}

const doc = JSON.parse(await readFile(SOURCE, 'utf8'));

/** @type {Record<string, Record<string, Record<string, unknown>>>} */
const requestBodies = {};
for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
  if (!name.endsWith('Request') || !schema.properties) continue;
  const fields = limitedFields(Object.entries(schema.properties));
  if (Object.keys(fields).length) requestBodies[name] = fields;
}

/** @type {Record<string, Record<string, Record<string, unknown>>>} */
const queries = {};
for (const operations of Object.values(doc.paths ?? {})) {
  for (const operation of Object.values(operations)) {
    if (!operation || typeof operation !== 'object' || !operation.operationId) continue;
    /** @type {{name: string, in: string, schema?: Record<string, unknown>}[]} */
    const parameters = operation.parameters ?? [];
    const fields = limitedFields(parameters.flatMap((p) => (p.in === 'query' && p.schema ? [[p.name, p.schema]] : [])));
    if (Object.keys(fields).length) queries[operation.operationId] = fields;
  }
}
const sortedQueries = Object.fromEntries(Object.entries(queries).sort(([a], [b]) => a.localeCompare(b)));

const source = `// Generated from openapi.json by scripts/gen-limits.mjs (\`npm run gen:api\`). Do not edit.
//
// The bounds the server states for what the dashboard sends: each request body's fields
// and each operation's query parameters. Typed against the generated schema, so a schema,
// field or parameter the server renames fails the type check where it is used.
import type { components, operations } from './schema';

/** The JSON Schema keywords that bound one value. */
export interface FieldLimits {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: FieldLimits;
}

type Schemas = components['schemas'];
type QueryOf<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

/** Each request body's bounded fields, by schema name. */
export const requestLimits = ${JSON.stringify(requestBodies)} as const satisfies {
  readonly [S in keyof Schemas]?: { readonly [F in keyof Schemas[S]]?: FieldLimits };
};

/** Each operation's bounded query parameters, by operation id. */
export const queryLimits = ${JSON.stringify(sortedQueries)} as const satisfies {
  readonly [O in keyof operations]?: { readonly [P in keyof QueryOf<O>]?: FieldLimits };
};
`;

const options = (await prettier.resolveConfig(TARGET)) ?? {};
await writeFile(TARGET, await prettier.format(source, { ...options, filepath: TARGET }));
