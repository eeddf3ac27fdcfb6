import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupSignatures } from '../../src/app/lookups.js';
import { builtinFunctions, type FunctionRegistry, type LookupRegistry } from '../../src/dsl/index.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export function fixtureFiles(): { file: string; source: string }[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.pattern'))
    .sort()
    .map((f) => ({ file: f, source: readFileSync(join(FIXTURES, f), 'utf8') }));
}

/** The built-ins plus the two traffic functions DSL.md names, as the traffic module will register them. */
export function trafficFunctions(): FunctionRegistry {
  return builtinFunctions()
    .register({
      name: 'distance_km',
      params: ['string', 'string'],
      minArgs: 2,
      maxArgs: 2,
      returns: 'number',
      impl: (a, b) => (a === b ? 0 : 1),
    })
    .register({
      name: 'checkpoint_attr',
      params: ['string', 'string'],
      minArgs: 2,
      maxArgs: 2,
      returns: 'unknown',
      impl: () => null,
    });
}

/** The lookups the app registers (`first_seen`): the language itself has none. */
export function lookups(): LookupRegistry {
  return lookupSignatures();
}

/** Drops positions so ASTs from different texts compare equal. */
export function stripPositions(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'pos' || key === 'opPos' ? undefined : v)));
}
