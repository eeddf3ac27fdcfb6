export { TrafficSimulation } from './simulation.js';
export { buildCity, cityRegistryJson, CITY_SEED } from './city.js';
export { DEFAULT_NOISE, DEFAULT_ANOMALIES_PER_DAY, type GeneratorOptions, type NoiseOptions } from './options.js';
export { DEFAULT_PEAK_RECORDS_PER_S, CITY_UTC_OFFSET_MIN, profileFraction, localHour } from './profile.js';
export { formatTruth } from './truth-format.js';
export type * from './truth.js';
export { ANOMALY_TYPES } from './truth.js';
