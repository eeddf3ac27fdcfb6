import { describe, expect, it } from 'vitest';
import { FunctionRegistry, type FunctionSignature } from '../../src/dsl/functions.js';
import { trafficFunctions } from '../../src/traffic/functions.js';
import { registry } from './helpers.js';

describe('traffic functions register on the DSL function registry as they are', () => {
  it('type-checks as FunctionSignature and registers by name', () => {
    const fns = new FunctionRegistry();
    for (const f of trafficFunctions(registry)) {
      const sig: FunctionSignature = f;
      fns.register(sig);
    }
    expect(fns.names()).toEqual(['checkpoint_attr', 'distance_km', 'is_bus_lane', 'is_entry', 'next_on_segment', 'plate_shape', 'segment_of']);
    expect(fns.get('distance_km')!.impl('CP0001', 'CP0002')).toBeCloseTo(registry.distanceKm('CP0001', 'CP0002'), 9);
  });
});
