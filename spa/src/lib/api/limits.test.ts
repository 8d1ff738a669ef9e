import spec from '../../../openapi.json';
import { queryLimits, requestLimits, type FieldLimits } from './limits';

type JsonSchema = Record<string, unknown> & { items?: JsonSchema };

/** What limits.ts keeps of one field of the document: its bounding keywords, and its items'. */
function bounds(schema: JsonSchema): FieldLimits {
  const keep = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems'];
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(schema).filter(([key]) => keep.includes(key)));
  if (schema.items && Object.keys(bounds(schema.items)).length) out.items = bounds(schema.items);
  return out;
}

// `make schema-check` keeps limits.ts current; this says the same in every test run.
describe('the field limits module', () => {
  it("states every request body field's bounds as openapi.json does", () => {
    const expected: Record<string, Record<string, FieldLimits>> = {};
    for (const [name, schema] of Object.entries(spec.components.schemas as Record<string, { properties?: Record<string, JsonSchema> }>)) {
      for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
        const limits = name.endsWith('Request') ? bounds(fieldSchema) : {};
        if (Object.keys(limits).length) (expected[name] ??= {})[field] = limits;
      }
    }
    expect(requestLimits).toEqual(expected);
  });

  it('states the bounds of every query parameter as openapi.json does', () => {
    const expected: Record<string, Record<string, FieldLimits>> = {};
    for (const operations of Object.values(spec.paths as Record<string, Record<string, { operationId?: string; parameters?: unknown[] }>>)) {
      for (const operation of Object.values(operations)) {
        for (const parameter of (operation.parameters ?? []) as { name: string; in: string; schema: JsonSchema }[]) {
          const limits = parameter.in === 'query' ? bounds(parameter.schema) : {};
          if (operation.operationId && Object.keys(limits).length) (expected[operation.operationId] ??= {})[parameter.name] = limits;
        }
      }
    }
    expect(queryLimits).toEqual(expected);
  });
});
