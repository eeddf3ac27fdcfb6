import type { CheckpointRegistry } from './registry.js';

/** The value types a DSL function signature can name. */
export type DslValueType = 'string' | 'number' | 'boolean' | 'unknown';

/**
 * A domain function for the pattern language, with its declared signature so the DSL checker
 * can reject wrong arity and argument types at compile time. `impl` is pure and never throws:
 * an argument of the wrong run-time type (e.g. null) yields null, which every comparison treats as false.
 */
export interface DomainFunction {
  readonly name: string;
  readonly params: readonly DslValueType[];
  readonly returns: DslValueType;
  readonly impl: (...args: readonly unknown[]) => unknown;
}

/** The traffic domain functions bound to one registry: distance_km, checkpoint_attr, segment_of, is_entry. */
export function trafficFunctions(registry: CheckpointRegistry): readonly DomainFunction[] {
  return [
    {
      name: 'distance_km',
      params: ['string', 'string'],
      returns: 'number',
      impl: (a, b) => (typeof a === 'string' && typeof b === 'string' ? nullIfNaN(registry.distanceKm(a, b)) : null),
    },
    {
      name: 'checkpoint_attr',
      params: ['string', 'string'],
      returns: 'unknown',
      impl: (cp, name) => (typeof cp === 'string' && typeof name === 'string' ? (registry.checkpointAttr(cp, name) ?? null) : null),
    },
    {
      name: 'segment_of',
      params: ['string'],
      returns: 'string',
      impl: (cp) => (typeof cp === 'string' ? (registry.segmentOf(cp) ?? null) : null),
    },
    {
      name: 'is_entry',
      params: ['string'],
      returns: 'boolean',
      impl: (cp) => (typeof cp === 'string' ? registry.isEntry(cp) : null),
    },
  ];
}

function nullIfNaN(x: number): number | null {
  return x === x ? x : null;
}
