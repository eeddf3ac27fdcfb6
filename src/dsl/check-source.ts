/**
 * Checks what a source declaration says about its records: `schema NAME { options }` (a registered schema),
 * `fields { ... }` (declared fields), or neither (open, or the schema the caller gives for undeclared sources);
 * `map a as b`, `map f values { ... }` and `time zone`. Reports errors through `error`; returns the source's
 * record schema for the checker and the shape and mapping for the runtime.
 */
import type * as A from './ast.js';
import type { Schema } from './checked.js';
import { literalValue } from './constants.js';
import type { Located } from './errors.js';
import type { Value } from './functions.js';
import {
  DECLARABLE_TYPES,
  type DeclaredField,
  type FeedMapping,
  type NamedSchema,
  parseZoneOffset,
  type RecordSchema,
  type SchemaRegistry,
  type SourceShape,
  type ValueMap,
} from './schemas.js';
import { didYouMean } from './suggest.js';
import { assignable, describeType, type Type } from './types.js';

export interface CheckedSourceShape {
  readonly schema: Schema;
  readonly shape: SourceShape;
  readonly mapping: FeedMapping;
  readonly boundedFields: ReadonlySet<string>;
}

/**
 * `fallback`: the schema of a source that declares none (the checker's `schema`/`sourceSchemas` options);
 * without one such a source is open.
 */
export function checkSourceShape(
  decl: A.SourceDecl,
  schemas: SchemaRegistry | undefined,
  fallback: RecordSchema | undefined,
  error: (at: Located, message: string) => void,
): CheckedSourceShape {
  const clauses = decl.clauses;
  const shapes = clauses.filter((c): c is A.SchemaClause | A.FieldsClause => c.kind === 'schema' || c.kind === 'fields');
  for (const extra of shapes.slice(1)) {
    error(extra.pos, `a source has one 'schema' or one 'fields' clause; '${decl.name.name}' already has '${shapes[0]?.kind}' at line ${shapes[0]?.pos.line}`);
  }
  const first = shapes[0];
  let fields: Map<string, Type> | null = null;
  let shape: SourceShape = { kind: 'open' };
  let bounded = new Set<string>();
  if (first?.kind === 'schema') {
    const named = schemas?.get(first.name.name);
    if (named === undefined) {
      const known = schemas?.names() ?? [];
      const list = known.length > 0 ? `schemas: ${known.join(', ')}` : 'no schemas are registered';
      error(first.name.pos, `unknown schema '${first.name.name}'${didYouMean(first.name.name, known)} (${list}; or declare the fields with 'fields { ... }')`);
    } else {
      fields = new Map(Object.entries(named.fields));
      shape = { kind: 'named', name: named.name, options: schemaOptions(named, first.options, error) };
      bounded = new Set(named.boundedFields ?? []);
    }
  } else if (first?.kind === 'fields') {
    const declared = declaredFields(first, error);
    fields = new Map([...declared].map(([n, f]) => [n, f.type]));
    shape = { kind: 'declared', fields: declared };
    for (const [n, f] of declared) if (f.type === 'boolean') bounded.add(n);
  } else if (fallback !== undefined) {
    fields = new Map(Object.entries(fallback));
  }

  const eventTime = decl.eventTime;
  if (fields !== null && !fields.has(eventTime.name)) {
    error(
      eventTime.pos,
      `the event time field '${eventTime.name}' is not a field of the records of '${decl.name.name}'${didYouMean(eventTime.name, fields.keys())}`,
    );
  } else if (shape.kind === 'declared') {
    const declared = shape.fields.get(eventTime.name);
    const at = first?.kind === 'fields' ? first.fields.find((f) => f.name.name === eventTime.name)?.type.pos : undefined;
    if (declared !== undefined && declared.type !== 'timestamp') {
      error(
        at ?? eventTime.pos,
        `the event time field '${eventTime.name}' must be declared as a timestamp (epoch ms or ISO-8601 in the feed), not ${declared.type}`,
      );
    } else if (declared?.optional === true) {
      error(at ?? eventTime.pos, `the event time field '${eventTime.name}' cannot be optional: a record without one has no place in time`);
    }
  }

  const mapping = feedMapping(decl, fields, error);
  const schema: Schema = { open: fields === null, fields: new Map(fields ?? []) };
  // The source parses the event time (epoch ms or ISO-8601) into ms, so the language sees a timestamp.
  (schema.fields as Map<string, Type>).set(eventTime.name, 'timestamp');
  return { schema, shape, mapping, boundedFields: bounded };
}

function schemaOptions(named: NamedSchema, options: A.ObjectLit | null, error: (at: Located, message: string) => void): Record<string, Value> {
  const out: Record<string, Value> = {};
  const known = named.options ?? {};
  for (const entry of options?.entries ?? []) {
    const type = known[entry.key];
    if (type === undefined) {
      const names = Object.keys(known);
      error(
        entry.pos,
        `schema '${named.name}' has no option '${entry.key}'${didYouMean(entry.key, names)}${names.length > 0 ? ` (options: ${names.join(', ')})` : ''}`,
      );
      continue;
    }
    if (entry.key in out) {
      error(entry.pos, `the option '${entry.key}' is given twice`);
      continue;
    }
    const value = literal(entry.value);
    if (value === undefined || value.type === 'null' || !assignable(value.type, type)) {
      error(entry.value.pos, `the option '${entry.key}' of schema '${named.name}' takes ${describeType(type)} literal`);
      continue;
    }
    out[entry.key] = value.value;
  }
  return out;
}

function declaredFields(clause: A.FieldsClause, error: (at: Located, message: string) => void): Map<string, DeclaredField> {
  const out = new Map<string, DeclaredField>();
  for (const f of clause.fields) {
    const type = f.type.name as Type;
    if (!DECLARABLE_TYPES.includes(type)) {
      error(f.type.pos, `unknown field type '${f.type.name}'${didYouMean(f.type.name, DECLARABLE_TYPES)} (types: ${DECLARABLE_TYPES.join(', ')})`);
      continue;
    }
    if (out.has(f.name.name)) {
      error(f.name.pos, `the field '${f.name.name}' is declared twice`);
      continue;
    }
    out.set(f.name.name, { type, optional: f.optional });
  }
  return out;
}

/** `fields`: the record's fields after renaming, or null for an open source (any name goes). */
function feedMapping(decl: A.SourceDecl, fields: ReadonlyMap<string, Type> | null, error: (at: Located, message: string) => void): FeedMapping {
  const renames = new Map<string, string>();
  const targets = new Map<string, A.Rename>();
  const values = new Map<string, ValueMap>();
  let zone: number | null = null;
  let zoneClause: A.TimeZoneClause | null = null;
  const unknownField = (n: A.Name, what: string): boolean => {
    if (fields === null || fields.has(n.name)) return false;
    error(n.pos, `${what} '${n.name}' is not a field of the records of '${decl.name.name}'${didYouMean(n.name, fields.keys())}`);
    return true;
  };
  for (const c of decl.clauses) {
    switch (c.kind) {
      case 'map':
        for (const r of c.renames) {
          if (renames.has(r.from.name)) {
            error(r.from.pos, `the feed field '${r.from.name}' is mapped twice`);
            continue;
          }
          const other = targets.get(r.to.name);
          if (other !== undefined) {
            error(r.to.pos, `'${other.from.name}' is already mapped to '${r.to.name}'`);
            continue;
          }
          if (unknownField(r.to, 'the mapped name')) continue;
          renames.set(r.from.name, r.to.name);
          targets.set(r.to.name, r);
        }
        break;
      case 'map-values': {
        if (values.has(c.field.name)) {
          error(c.field.pos, `the values of '${c.field.name}' are mapped twice`);
          break;
        }
        if (unknownField(c.field, 'the field')) break;
        const type = fields?.get(c.field.name) ?? 'unknown';
        const codes = new Map<string, Value>();
        const mappedValue = (e: A.Expr): Value | undefined => {
          const v = literal(e);
          if (v === undefined) {
            error(e.pos, `a mapped value must be a literal such as "blue" or 2`);
            return undefined;
          }
          if (!assignable(v.type, type)) {
            error(e.pos, `'${c.field.name}' is ${describeType(type)}, but this maps a code to ${describeType(v.type)}`);
            return undefined;
          }
          return v.value;
        };
        for (const entry of c.values.entries) {
          if (codes.has(entry.key)) {
            error(entry.pos, `the code "${entry.key}" is mapped twice`);
            continue;
          }
          const v = mappedValue(entry.value);
          if (v !== undefined) codes.set(entry.key, v);
        }
        if (c.values.entries.length === 0) error(c.values.pos, `'map ${c.field.name} values' needs at least one code`);
        const otherwise = c.otherwise === null ? undefined : mappedValue(c.otherwise);
        values.set(c.field.name, otherwise === undefined ? { codes } : { codes, otherwise });
        break;
      }
      case 'time-zone': {
        if (zoneClause !== null) {
          error(c.pos, `'time zone' is given twice (first at line ${zoneClause.pos.line})`);
          break;
        }
        zoneClause = c;
        zone = parseZoneOffset(c.zone.value);
        if (zone === null) error(c.zone.pos, `'time zone' takes a fixed offset such as "+08:00", "-05:00" or "Z", got ${JSON.stringify(c.zone.value)}`);
        break;
      }
      case 'schema':
      case 'fields':
        break;
    }
  }
  return { renames, values, zoneOffsetMinutes: zone };
}

function literal(e: A.Expr): { value: Value; type: Type } | undefined {
  switch (e.kind) {
    case 'number':
      return { value: literalValue(e), type: 'number' };
    case 'string':
      return { value: literalValue(e), type: 'string' };
    case 'boolean':
      return { value: literalValue(e), type: 'boolean' };
    case 'null':
      return { value: null, type: 'null' };
    case 'duration':
      return { value: literalValue(e), type: 'duration' };
    default:
      return undefined;
  }
}
