/**
 * What a source's declaration asks of each record before patterns see it: the feed mapping (renamed fields,
 * value maps, zone-less event times), then validation by the source's schema: the traffic schema's validator
 * for `schema traffic`, the declared types for `fields { ... }`, nothing for an open source. The language
 * knows the named schemas only through the registry built here.
 */
import { parseEventTime, plainRecordFactory } from '../core/index.js';
import { type CheckedSource, type DeclaredField, type FeedMapping, isIdentityMapping, SchemaRegistry, type Type, type Value } from '../dsl/index.js';
import {
  type CheckpointRegistry,
  TRAFFIC_BOUNDED_FIELDS,
  TRAFFIC_RECORD_SCHEMA,
  TRAFFIC_SCHEMA_NAME,
  TRAFFIC_SCHEMA_OPTIONS,
  type ValidatorOptions,
} from '../traffic/index.js';
import { type RecordCheck, trafficCheck } from './record-parser.js';

/** The named schemas sources may declare: the traffic record (`schema traffic`). */
export function domainSchemas(): SchemaRegistry {
  return new SchemaRegistry().register({
    name: TRAFFIC_SCHEMA_NAME,
    fields: TRAFFIC_RECORD_SCHEMA,
    boundedFields: TRAFFIC_BOUNDED_FIELDS,
    options: TRAFFIC_SCHEMA_OPTIONS,
    description: 'checkpoint camera captures: validated against the checkpoint registry, plates normalised',
  });
}

/** What `schema traffic { ... }` asks: a minimum plate confidence, camera clock correction. */
export interface TrafficSchemaOptions extends Pick<ValidatorOptions, 'minPlateConfidence'> {
  /** `correct_clocks: true`: learn and correct camera clocks (a feed's check does; a plain record check cannot). */
  readonly correctClocks?: boolean;
}

/**
 * The validation each source's declaration asks for, with named schemas bound to the checkpoint registry.
 * `traffic` makes the traffic schema's check (`vigil run` and `serve` pass the feed's, with its camera-clock guard
 * and, when asked, its clock correction; the default checks each record alone).
 */
export function declaredChecks(
  registry: CheckpointRegistry,
  traffic: (options: TrafficSchemaOptions) => RecordCheck = ({ minPlateConfidence }) =>
    trafficCheck(registry, minPlateConfidence === undefined ? {} : { minPlateConfidence }),
): (source: CheckedSource) => RecordCheck | undefined {
  return (source) => {
    const shape = source.shape;
    switch (shape.kind) {
      case 'named': {
        if (shape.name !== TRAFFIC_SCHEMA_NAME) throw new Error(`internal: no validation for schema '${shape.name}'`);
        const min = shape.options['min_plate_confidence'];
        const correct = shape.options['correct_clocks'] === true;
        return traffic({ ...(typeof min === 'number' ? { minPlateConfidence: min } : {}), ...(correct ? { correctClocks: true } : {}) });
      }
      case 'declared':
        return declaredFieldsCheck(shape.fields);
      case 'open':
        return undefined;
    }
  };
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Whether a value fits a declared type; timestamps (epoch ms or ISO-8601 with a zone) become epoch ms in place. */
function fits(record: Record<string, unknown>, field: string, type: Type): boolean {
  const v = record[field];
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
    case 'duration':
      return typeof v === 'number' && Number.isFinite(v);
    case 'timestamp': {
      const t = parseEventTime(v);
      if (Number.isNaN(t)) return false;
      record[field] = t;
      return true;
    }
    default:
      return true;
  }
}

/**
 * `fields { ... }`: every declared field present (unless `?`) with its type; other fields are kept as sent
 * (patterns cannot read them). Reasons read like the traffic validator's: `missing_field: x`, `bad_type: ...`.
 */
export function declaredFieldsCheck(fields: ReadonlyMap<string, DeclaredField>): RecordCheck {
  const list = [...fields];
  return (record) => {
    for (const [name, f] of list) {
      const v = record[name];
      if (v === undefined || v === null) {
        if (f.optional) continue;
        return `missing_field: ${name}`;
      }
      if (!fits(record, name, f.type)) {
        const shown =
          typeof v === 'string'
            ? `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) : v)}`
            : typeof v === 'number' || typeof v === 'boolean'
              ? `${typeof v} ${String(v)}`
              : typeName(v);
        return `bad_type: ${name}: expected ${f.type === 'timestamp' ? 'a timestamp (epoch ms or ISO-8601 with a zone)' : `a ${f.type}`}, got ${shown}`;
      }
    }
    return null;
  };
}

/** `map ... values`: the code as text (numbers and booleans as JSON writes them). */
function codeOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * The feed mapping of a source as one step on each parsed record, or undefined when the source maps nothing.
 * Renaming builds a new record (fields in the feed's order, renamed ones under their new names) rather than
 * deleting keys, which would leave the record a slow dictionary object.
 */
export function feedMapper(source: CheckedSource): ((record: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const mapping: FeedMapping = source.mapping;
  if (isIdentityMapping(mapping)) return undefined;
  const renames = mapping.renames;
  const values = [...mapping.values];
  const eventTime = source.decl.eventTime.name;
  const zone = mapping.zoneOffsetMinutes;
  const suffix = zone === null ? '' : zoneSuffix(zone);
  const plain = plainRecordFactory();
  return (input) => {
    let record = input;
    if (renames.size > 0) {
      record = plain();
      for (const key of Object.keys(input)) {
        const to = renames.get(key);
        // A feed field that is also a mapped name loses to the field mapped onto it.
        if (to === undefined && key in record) continue;
        record[to ?? key] = input[key];
      }
    }
    for (const [field, map] of values) {
      const code = codeOf(record[field]);
      if (code === null) continue;
      const mapped: Value | undefined = map.codes.get(code) ?? map.otherwise;
      if (mapped !== undefined) record[field] = mapped;
    }
    if (zone !== null) {
      const t = record[eventTime];
      // Only a time written without a zone takes the declared one; epoch ms and zoned times are kept.
      if (typeof t === 'string' && Number.isNaN(parseEventTime(t))) {
        const zoned = parseEventTime(t + suffix);
        if (!Number.isNaN(zoned)) record[eventTime] = zoned;
      }
    }
    return record;
  };
}

function zoneSuffix(minutes: number): string {
  if (minutes === 0) return 'Z';
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
