/** The traffic domain: record schema and validation, checkpoint registry, DSL domain functions. */

export { CameraClocks, type CameraClocksOptions, type CameraClocksSnapshot } from './camera-clocks.js';
export { normalizeDirection } from './direction.js';
export { FeedClock, type FeedClockOptions } from './feed-clock.js';
export { FeedDisorder, type FeedDisorderOptions, type FeedDisorderSnapshot } from './feed-disorder.js';
export { type DomainFunction, type DomainValue, type DslValueType, type RegistryReads, trafficFunctions } from './functions.js';
export { EARTH_RADIUS_KM, haversineKm } from './geo.js';
export { isUnreadablePlate, normalizePlate } from './plate.js';
export {
  type Direction,
  PLATE_COLORS,
  type PlateColor,
  parseVehicleKey,
  TRAFFIC_BOUNDED_FIELDS,
  TRAFFIC_RECORD_SCHEMA,
  TRAFFIC_SCHEMA_NAME,
  TRAFFIC_SCHEMA_OPTIONS,
  type TrafficRecord,
  UNREADABLE_PLATE,
  vehicleKey,
} from './record.js';
export { type Checkpoint, type CheckpointKind, CheckpointRegistry, REQUIRED_CHECKPOINT_FIELDS, RegistryError } from './registry.js';
export { formatIsoTimestamp, parseIsoTimestamp } from './timestamp.js';
export {
  isRejection,
  type NoteCounters,
  RECORD_NOTES,
  type RecordNote,
  RecordValidator,
  Rejection,
  type RejectionCode,
  type ValidatorOptions,
} from './validate.js';
