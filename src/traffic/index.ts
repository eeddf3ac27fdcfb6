/** The traffic domain: record schema and validation, checkpoint registry, DSL domain functions. */
export { type TrafficRecord, type PlateColor, type Direction, PLATE_COLORS, UNREADABLE_PLATE, TRAFFIC_RECORD_SCHEMA, TRAFFIC_SCHEMA_NAME, TRAFFIC_BOUNDED_FIELDS, TRAFFIC_SCHEMA_OPTIONS, vehicleKey, parseVehicleKey } from './record.js';
export {
  RecordValidator, Rejection, isRejection, RECORD_NOTES,
  type RejectionCode, type ValidatorOptions, type RecordNote, type NoteCounters,
} from './validate.js';
export { FeedClock, type FeedClockOptions } from './feed-clock.js';
export { normalizeDirection } from './direction.js';
export { normalizePlate, isUnreadablePlate } from './plate.js';
export { parseIsoTimestamp, formatIsoTimestamp } from './timestamp.js';
export { CheckpointRegistry, RegistryError, REQUIRED_CHECKPOINT_FIELDS, type Checkpoint, type CheckpointKind } from './registry.js';
export { haversineKm, EARTH_RADIUS_KM } from './geo.js';
export { trafficFunctions, type DomainFunction, type DomainValue, type DslValueType, type RegistryReads } from './functions.js';
