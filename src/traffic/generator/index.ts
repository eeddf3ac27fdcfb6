export { TrafficSimulation } from './simulation.js';
export {
  buildCity, checkCityOptions, cityRegistryJson, CITY_SEED, DIRECTION_VOCABULARIES, REGISTRY_FIELDS, REQUIRED_REGISTRY_FIELDS,
  type CityOptions, type DirectionVocabulary, type RegistryFields,
} from './city.js';
export { CITY_LAYOUTS, type CityLayout } from './layouts.js';
export {
  ANOMALY_DIFFICULTIES, DEFAULT_NOISE, DEFAULT_ANOMALIES_PER_DAY, DEFAULT_ANOMALY_SHAPE, DIRT_LEVELS,
  type AnomalyDifficulty, type AnomalyShape, type DirtLevel, type GeneratorOptions, type NoiseOptions,
} from './options.js';
export { DEFAULT_PEAK_RECORDS_PER_S, CITY_UTC_OFFSET_MIN, profileFraction, localHour } from './profile.js';
export { formatTruth } from './truth-format.js';
export type * from './truth.js';
export { ANOMALY_TYPES, IMPOSSIBLE_PAIR } from './truth.js';
