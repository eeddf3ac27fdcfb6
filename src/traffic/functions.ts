import { plateShape } from './plate.js';
import type { CheckpointRegistry } from './registry.js';

/** The value types a DSL function signature can name (a subset of the pattern language's types). */
export type DslValueType = 'string' | 'number' | 'boolean' | 'unknown';

/** A value a domain function returns: what the pattern language can hold. */
export type DomainValue = null | boolean | number | string;

/**
 * A domain function for the pattern language, with its declared signature so the DSL checker
 * can reject wrong arity and argument types at compile time. Shaped like the DSL's
 * `FunctionSignature` (without importing it) so it registers as is. `impl` is pure and never
 * throws: an argument of the wrong run-time type (e.g. null) yields null, which every comparison
 * treats as false.
 */
export interface DomainFunction {
  readonly name: string;
  readonly params: readonly DslValueType[];
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly returns: DslValueType;
  readonly impl: (...args: readonly unknown[]) => DomainValue;
  /** The checkpoint registry fields it reads: what `vigil check` compares with a registry's fields. */
  readonly reads?: RegistryReads;
}

/** Which registry fields a domain function reads; without a field it returns null (as for an unknown checkpoint). */
export interface RegistryReads {
  /** Fields it always reads. */
  readonly fields?: readonly string[];
  /** The argument (0-based) naming the field it reads, as `checkpoint_attr(cp, "speed_limit")`. */
  readonly fieldArg?: number;
}

function fixed(
  name: string,
  params: readonly DslValueType[],
  returns: DslValueType,
  impl: (...args: readonly unknown[]) => DomainValue,
  reads?: RegistryReads,
): DomainFunction {
  return { name, params, minArgs: params.length, maxArgs: params.length, returns, impl, ...(reads === undefined ? {} : { reads }) };
}

/** Extra registry fields may hold anything; the language sees scalars only (others read as null). */
function scalar(v: unknown): DomainValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

/**
 * The traffic domain functions bound to one registry: distance_km, checkpoint_attr, segment_of, is_entry,
 * is_bus_lane, next_on_segment, plate_shape.
 */
export function trafficFunctions(registry: CheckpointRegistry): readonly DomainFunction[] {
  return [
    fixed(
      'distance_km',
      ['string', 'string'],
      'number',
      (a, b) => {
        if (typeof a !== 'string' || typeof b !== 'string') return null;
        const d = registry.distanceKm(a, b);
        return Number.isNaN(d) ? null : d; // unknown checkpoint: null
      },
      { fields: ['lat', 'lon'] },
    ),
    fixed(
      'checkpoint_attr',
      ['string', 'string'],
      'unknown',
      (cp, name) => (typeof cp === 'string' && typeof name === 'string' ? scalar(registry.checkpointAttr(cp, name)) : null),
      { fieldArg: 1 },
    ),
    fixed('segment_of', ['string'], 'string', (cp) => (typeof cp === 'string' ? (registry.segmentOf(cp) ?? null) : null), { fields: ['segment'] }),
    fixed('is_entry', ['string'], 'boolean', (cp) => (typeof cp === 'string' ? registry.isEntry(cp) : null), { fields: ['kind'] }),
    // A registry without `bus_lanes` at the camera (or not a list) says nothing: null, not false.
    fixed(
      'is_bus_lane',
      ['string', 'number'],
      'boolean',
      (cp, lane) => {
        if (typeof cp !== 'string' || typeof lane !== 'number') return null;
        const lanes = registry.get(cp)?.['bus_lanes'];
        return Array.isArray(lanes) ? lanes.includes(lane) : null;
      },
      { fields: ['bus_lanes'] },
    ),
    // The registry's next_on_segment where given, else camera order from geometry: so it needs only required fields.
    fixed('next_on_segment', ['string'], 'string', (cp) => (typeof cp === 'string' ? (registry.nextOnSegment(cp) ?? null) : null), {
      fields: ['segment', 'lat', 'lon', 'direction'],
    }),
    fixed('plate_shape', ['string'], 'string', (p) => (typeof p === 'string' ? plateShape(p) : null)),
  ];
}
