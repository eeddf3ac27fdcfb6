export {
  buildCity,
  CITY_SEED,
  type CityOptions,
  checkCityOptions,
  cityRegistryJson,
  DIRECTION_VOCABULARIES,
  type DirectionVocabulary,
  REGISTRY_FIELDS,
  REQUIRED_REGISTRY_FIELDS,
  type RegistryFields,
} from './city.js';
export { CITY_LAYOUTS, type CityLayout } from './layouts.js';
export {
  ANOMALY_DIFFICULTIES,
  type AnomalyDifficulty,
  type AnomalyShape,
  DEFAULT_ANOMALIES_PER_DAY,
  DEFAULT_ANOMALY_SHAPE,
  DEFAULT_NOISE,
  DIRT_LEVELS,
  type DirtLevel,
  type GeneratorOptions,
  type NoiseOptions,
} from './options.js';
export { CITY_UTC_OFFSET_MIN, DEFAULT_PEAK_RECORDS_PER_S, localHour, profileFraction } from './profile.js';
export { TrafficSimulation } from './simulation.js';
export type * from './truth.js';
export { ANOMALY_TYPES, IMPOSSIBLE_PAIR } from './truth.js';
export { formatTruth } from './truth-format.js';
