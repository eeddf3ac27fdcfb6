import type { CityOptions } from './city.js';
import { ANOMALY_DIFFICULTIES, type AnomalyDifficulty, DIRT_LEVELS, type DirtLevel, type GeneratorOptions } from './options.js';
import type { AnomalyType } from './truth.js';

/**
 * The named cities of the evaluation matrix (`vigil eval --matrix`, `vigil generate --city NAME`). They differ in
 * layout, cameras per segment, registry fields, direction vocabulary, dirt, volume and anomaly difficulty, so rules
 * tuned to the reference city show where they fail. Each is a few hours of one day (sized so the whole matrix runs
 * in a few minutes), with 40 quiet minutes first: the flow rule's baseline needs that much history.
 */
export interface NamedCity {
  readonly name: string;
  /** One line for the README and `--help`. */
  readonly summary: string;
  readonly seed: string;
  /** ISO-8601 with a zone. */
  readonly start: string;
  readonly minutes: number;
  readonly scale: number;
  readonly city: CityOptions;
  readonly dirt: DirtLevel;
  readonly difficulty: AnomalyDifficulty;
}

/** Anomalies per city: enough of each kind that one miss shows (12 clones: 6 meet once in a hard city). */
export const MATRIX_ANOMALY_COUNTS: Readonly<Record<AnomalyType, number>> = { cloned_plate: 12, flow_surge: 6, flow_drop: 4, congestion: 5, first_entry: 20 };
export const MATRIX_QUIET_MINUTES = 40;

export const MATRIX_CITIES: readonly NamedCity[] = [
  {
    name: 'reference',
    summary: 'the reference grid (2-4 cameras, full registry, in/out), reference dirt, mid-size city at midday, standard anomalies',
    seed: 'm1',
    start: '2026-03-02T10:00:00+08:00',
    minutes: 240,
    scale: 0.3,
    city: {},
    dirt: 'reference',
    difficulty: 'standard',
  },
  {
    name: 'ring-town',
    summary: 'ring and radial roads, 1 camera per segment, required registry fields only, light dirt, small town, hard anomalies',
    seed: 'm2',
    start: '2026-03-02T07:00:00+08:00',
    minutes: 180,
    scale: 0.05,
    city: { layout: 'ring', cameras: [1, 1], registry: 'required', directions: 'in-out' },
    dirt: 'light',
    difficulty: 'hard',
  },
  {
    name: 'corridor-through',
    summary: 'a 34 km corridor, 1-3 cameras, full registry, inner cameras say "through", heavy dirt, mid-size, standard anomalies',
    seed: 'm3',
    start: '2026-03-02T13:00:00+08:00',
    minutes: 180,
    scale: 0.3,
    city: { layout: 'corridor', cameras: [1, 3], registry: 'full', directions: 'through' },
    dirt: 'heavy',
    difficulty: 'standard',
  },
  {
    name: 'grid-metro',
    summary: 'the grid with 3 cameras per segment, full registry, IN/OUT, reference dirt, a large city (twice the reference), hard anomalies',
    seed: 'm4',
    start: '2026-03-02T11:30:00+08:00',
    minutes: 90,
    scale: 2,
    city: { layout: 'grid', cameras: [3, 3], registry: 'full', directions: 'upper' },
    dirt: 'reference',
    difficulty: 'hard',
  },
  {
    name: 'ring-compass',
    summary: 'ring and radial roads, 2 cameras, required registry fields only, compass headings, heavy dirt, mid-size, standard anomalies',
    seed: 'm5',
    start: '2026-03-02T12:00:00+08:00',
    minutes: 180,
    scale: 0.3,
    city: { layout: 'ring', cameras: [2, 2], registry: 'required', directions: 'compass' },
    dirt: 'heavy',
    difficulty: 'standard',
  },
  {
    name: 'grid-sparse',
    summary: 'the grid with 1 camera per segment, full registry, inbound/outbound, light dirt, a small city, hard anomalies',
    seed: 'm6',
    start: '2026-03-02T09:00:00+08:00',
    minutes: 180,
    scale: 0.15,
    city: { layout: 'grid', cameras: [1, 1], registry: 'full', directions: 'inbound-outbound' },
    dirt: 'light',
    difficulty: 'hard',
  },
  {
    name: 'corridor-town',
    summary: 'a 34 km corridor, 1-2 cameras, required registry fields only, in/out, a clean feed, small town, hard anomalies',
    seed: 'm7',
    start: '2026-03-02T08:30:00+08:00',
    minutes: 180,
    scale: 0.1,
    city: { layout: 'corridor', cameras: [1, 2], registry: 'required', directions: 'in-out' },
    dirt: 'none',
    difficulty: 'hard',
  },
];

export function matrixCity(name: string): NamedCity | undefined {
  return MATRIX_CITIES.find((c) => c.name === name);
}

/** The generator options of a named city (with anomalies). `start` is the parsed epoch ms of `city.start`. */
export function namedCityOptions(city: NamedCity, start: number): GeneratorOptions {
  return {
    seed: city.seed,
    start,
    minutes: city.minutes,
    scale: city.scale,
    anomalies: true,
    anomalyCounts: MATRIX_ANOMALY_COUNTS,
    quietMinutes: MATRIX_QUIET_MINUTES,
    noise: DIRT_LEVELS[city.dirt],
    anomalyShape: ANOMALY_DIFFICULTIES[city.difficulty],
    city: city.city,
  };
}
