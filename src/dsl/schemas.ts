/**
 * Record schemas of sources. The language knows no domain: a domain module registers its named schemas
 * (`schema traffic`) on a SchemaRegistry and whoever runs the job binds each to its validation; a source may
 * instead declare its own fields, or stay open. What a source's declaration says about its records and about the
 * feed's own shape (field names, coded values, zone-less times) is summarised here for the runtime.
 */
import type { Value } from './functions.js';
import type { Type } from './types.js';

/** Field name -> type for records of a source, as given by a domain module. */
export type RecordSchema = Readonly<Record<string, Type>>;

/** A schema a domain module registers under a name, for `schema NAME` in a source declaration. */
export interface NamedSchema {
  readonly name: string;
  /** The fields of a record once validated and normalised; patterns may read no other. */
  readonly fields: RecordSchema;
  /** Fields whose values come from a finite set: the linter counts keys on them as bounded. */
  readonly boundedFields?: ReadonlySet<string>;
  /** `schema NAME { option: value }`: the options the schema's validation takes, with their types. */
  readonly options?: Readonly<Record<string, Type>>;
  /** One line for messages and listings. */
  readonly description?: string;
}

export class SchemaRegistry {
  private readonly entries = new Map<string, NamedSchema>();

  register(schema: NamedSchema): this {
    if (this.entries.has(schema.name)) throw new Error(`schema '${schema.name}' is already registered`);
    this.entries.set(schema.name, schema);
    return this;
  }
  get(name: string): NamedSchema | undefined {
    return this.entries.get(name);
  }
  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}

/** The types a `fields { ... }` declaration may give a field. */
export const DECLARABLE_TYPES: readonly Type[] = ['string', 'number', 'boolean', 'timestamp', 'duration'];

export interface DeclaredField {
  readonly type: Type;
  /** `name?: type`: the field may be missing or null. */
  readonly optional: boolean;
}

/** What a source's records look like, as its declaration says. */
export type SourceShape =
  /** `schema NAME`: the named schema's validation and normalisation apply (bound by whoever runs the job). */
  | { readonly kind: 'named'; readonly name: string; readonly options: Readonly<Record<string, Value>> }
  /** `fields { ... }`: records whose declared fields have other types are refused (dead letters). */
  | { readonly kind: 'declared'; readonly fields: ReadonlyMap<string, DeclaredField> }
  /** Neither: any JSON object is a record; fields are typed as they are used. */
  | { readonly kind: 'open' };

/** A value map: the feed's codes (as text) -> values; `otherwise` for codes not listed (absent: kept as sent). */
export interface ValueMap {
  readonly codes: ReadonlyMap<string, Value>;
  readonly otherwise?: Value;
}

/** How the feed's own shape becomes the records patterns read; applied to each record before its validation. */
export interface FeedMapping {
  /** Feed field name -> the name patterns read. */
  readonly renames: ReadonlyMap<string, string>;
  /** By field name (after renaming). */
  readonly values: ReadonlyMap<string, ValueMap>;
  /** `time zone`: minutes east of UTC given to event times written without a zone; null when not declared. */
  readonly zoneOffsetMinutes: number | null;
}

export const NO_MAPPING: FeedMapping = { renames: new Map(), values: new Map(), zoneOffsetMinutes: null };

/** Whether a mapping changes anything (an unmapped feed is parsed with no extra pass). */
export function isIdentityMapping(m: FeedMapping): boolean {
  return m.renames.size === 0 && m.values.size === 0 && m.zoneOffsetMinutes === null;
}

/** `Z`, `UTC`, `+08:00`, `+0800`, `-05:30` -> minutes east of UTC, or null. */
export function parseZoneOffset(zone: string): number | null {
  if (zone === 'Z' || zone === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (m === null) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
