/**
 * The names of plate prefixes (fixtures/plate-prefixes.json): the province character (`浙`) and province + city
 * letter (`浙A`). The dashboard shows them beside the prefixes plate_origin_15m ranks. The language's lookup tables
 * could name them in the stream, but the shipped patterns are also used copied away from fixtures/, so the names
 * are joined where they are shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../program.js';

export interface PlatePrefixes {
  readonly provinces: Readonly<Record<string, string>>;
  readonly cities: Readonly<Record<string, string>>;
}

/** The table shipped with the package. */
export const PLATE_PREFIXES = join(packageRoot, 'fixtures', 'plate-prefixes.json');

function names(value: unknown, what: string, path: string, keyLength: number): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${path}: '${what}' must map prefixes to names`);
  const out: Record<string, string> = {};
  for (const [key, name] of Object.entries(value)) {
    if (typeof name !== 'string' || [...key].length !== keyLength) {
      throw new UserError(`${path}: '${what}' entry '${key}' must be ${keyLength === 1 ? 'one character' : 'two characters'} with a name`);
    }
    out[key] = name;
  }
  return out;
}

export function loadPlatePrefixes(path = PLATE_PREFIXES): PlatePrefixes {
  let json: { provinces?: unknown; cities?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (error) {
    throw new UserError(`cannot read the plate prefixes ${path}: ${(error as Error).message}`);
  }
  return { provinces: names(json.provinces, 'provinces', path, 1), cities: names(json.cities, 'cities', path, 2) };
}

/** The name of a prefix: the city's where the table has it, else its province's; null when neither is known. */
export function prefixName(table: PlatePrefixes, prefix: string): string | null {
  const chars = [...prefix];
  if (chars.length >= 2) {
    const city = table.cities[chars.slice(0, 2).join('')];
    if (city !== undefined) return city;
  }
  return chars.length === 0 ? null : (table.provinces[chars[0] as string] ?? null);
}
