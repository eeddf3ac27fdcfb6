import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { HeldRecords } from './event-time-stage.js';
import type { SourcePositions } from './source.js';
import type { WatermarkTrackerSnapshot } from './watermarks.js';

export const CHECKPOINT_FORMAT_VERSION = 1;

/**
 * A consistent cut of a task, taken between batches: every operator's state (by uid) plus the source positions
 * and watermark bookkeeping that go with it. Restoring it and seeking the source resumes exactly where it was.
 */
export interface Checkpoint {
  readonly version: number;
  readonly job: string;
  readonly id: number;
  readonly takenAt: number;
  readonly source: { readonly uid: string; readonly positions: SourcePositions };
  readonly watermarks: WatermarkTrackerSnapshot;
  readonly operators: Readonly<Record<string, unknown>>;
  /** Records a batch stage holds for the watermark (jobs with `enrich`): [event time, record] in release order. */
  readonly held?: HeldRecords;
}

// JSON has no infinities, and watermarks start and end at them.
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}
function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '$num' in value && Object.keys(value).length === 1) {
    return Number((value as { $num: string }).$num);
  }
  return value;
}

export function encodeCheckpoint(cp: Checkpoint): string {
  return JSON.stringify(cp, replacer);
}

export function decodeCheckpoint(text: string): Checkpoint {
  const cp = JSON.parse(text, reviver) as Checkpoint;
  if (typeof cp !== 'object' || cp === null || cp.version !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`not a Vigil checkpoint of format version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  return cp;
}

/**
 * The compact form a service stores every few seconds: V8's structured serialization, which keeps infinities, so no
 * replacer walks every value. Encoding a city's state takes about 0.4 of the JSON form's time and yields bytes ready
 * for the socket, where the JSON text was also scanned for its UTF-8 length and converted on send. Savepoints stay
 * JSON: they outlive Node versions and are read by people.
 */
export function encodeCheckpointBytes(cp: Checkpoint): Buffer {
  return serialize(cp);
}

/** V8's serialization starts with its version tag, 0xFF; JSON text (what stores held before) with `{`. */
const V8_VERSION_TAG = 0xff;

/** Reads either form: the binary one, or the JSON text that stores held before it. */
export function decodeCheckpointBytes(bytes: Buffer): Checkpoint {
  if (bytes[0] !== V8_VERSION_TAG) return decodeCheckpoint(bytes.toString('utf8'));
  const cp = deserialize(bytes) as Checkpoint;
  if (typeof cp !== 'object' || cp === null || cp.version !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`not a Vigil checkpoint of format version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  return cp;
}

/** A savepoint is a checkpoint written to a path on request and kept. Written atomically (temp file + rename). */
export async function writeSavepoint(path: string, cp: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeCheckpoint(cp));
  await rename(tmp, path);
}

export async function readSavepoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await readFile(path, 'utf8'));
}
