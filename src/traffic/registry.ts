import { readFile } from 'node:fs/promises';
import { normalizeDirection } from './direction.js';
import { haversineKm } from './geo.js';

export type CheckpointKind = 'entry' | 'inner';

/** The fields every checkpoint has (DESIGN.md's registry contract); anything else is optional. */
export const REQUIRED_CHECKPOINT_FIELDS: readonly string[] = ['id', 'name', 'lat', 'lon', 'segment', 'direction', 'kind'];

/** One camera site (DESIGN.md): extra fields are kept and reachable through {@link CheckpointRegistry.checkpointAttr}. */
export interface Checkpoint {
  readonly id: string;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  /** The road segment this checkpoint measures; a segment groups its checkpoints in driving order. */
  readonly segment: string;
  /** Direction of the carriageway the camera watches: `in` (towards the centre) or `out`, or a free label. */
  readonly direction: string;
  readonly kind: CheckpointKind;
  /** Optional: number of lanes; when present, a record's lane must not exceed it. */
  readonly lanes?: number;
  readonly [extra: string]: unknown;
}

/** A registry file that does not follow the format; `issues` names each bad array index and field. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`${source}: invalid checkpoint registry:\n  ${issues.join('\n  ')}`);
  }
}

const MAX_ISSUES = 20;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 40 ? s.slice(0, 37) + '...' : s;
}

function checkEntry(raw: unknown, i: number, issues: string[]): Checkpoint | null {
  const at = `[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push(`${at}: expected an object, got ${describe(raw)}`);
    return null;
  }
  const o = raw as Record<string, unknown>;
  const before = issues.length;
  const str = (field: string): void => {
    const v = o[field];
    if (typeof v !== 'string' || v.length === 0) issues.push(`${at}.${field}: expected a non-empty string, got ${describe(v)}`);
  };
  const num = (field: string, lo: number, hi: number): void => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
      issues.push(`${at}.${field}: expected a number from ${lo} to ${hi}, got ${describe(v)}`);
  };
  str('id');
  str('name');
  num('lat', -90, 90);
  num('lon', -180, 180);
  str('segment');
  str('direction');
  if (o['kind'] !== 'entry' && o['kind'] !== 'inner') issues.push(`${at}.kind: expected "entry" or "inner", got ${describe(o['kind'])}`);
  if (o['lanes'] !== undefined && !(Number.isInteger(o['lanes']) && (o['lanes'] as number) >= 1 && (o['lanes'] as number) <= 16))
    issues.push(`${at}.lanes: expected an integer from 1 to 16, got ${describe(o['lanes'])}`);
  return issues.length === before ? (o as unknown as Checkpoint) : null;
}

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Above this many checkpoints the pairwise distance cache becomes a Map instead of a dense matrix. */
const DENSE_CACHE_LIMIT = 1024;

/**
 * The checkpoint registry: lookups by id, segment membership and cached great-circle distances.
 * Immutable once built.
 */
export class CheckpointRegistry {
  private readonly list: readonly Checkpoint[];
  private readonly byId = new Map<string, number>();
  private readonly cpById = new Map<string, Checkpoint>();
  private readonly bySegment = new Map<string, Checkpoint[]>();
  private readonly dense: Float64Array | null;
  private readonly sparse: Map<number, number> | null;
  /** Camera order along each segment from geometry, built on first use. */
  private derivedNext: Map<string, string> | null = null;

  /**
   * The city's IANA time zone (`Asia/Shanghai`), when the registry names one (`{ "time_zone": ..., "checkpoints":
   * [...] }`): the default zone of the language's local_hour / local_weekday / local_date.
   */
  readonly timeZone: string | null;

  private constructor(list: readonly Checkpoint[], timeZone: string | null = null) {
    this.list = list;
    this.timeZone = timeZone;
    list.forEach((cp, i) => {
      this.byId.set(cp.id, i);
      this.cpById.set(cp.id, cp);
      let members = this.bySegment.get(cp.segment);
      if (members === undefined) this.bySegment.set(cp.segment, (members = []));
      members.push(cp);
    });
    const n = list.length;
    if (n <= DENSE_CACHE_LIMIT) {
      this.dense = new Float64Array(n * n).fill(NaN);
      this.sparse = null;
    } else {
      this.dense = null;
      this.sparse = new Map();
    }
  }

  /** Validates a parsed registry (a JSON array); throws {@link RegistryError} naming every bad index and field. */
  static fromJson(input: unknown, source = 'checkpoints'): CheckpointRegistry {
    let value = input;
    let timeZone: string | null = null;
    // The object form adds city-wide settings: { "time_zone": "Asia/Shanghai", "checkpoints": [...] }.
    if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'checkpoints' in input) {
      const o = input as Record<string, unknown>;
      value = o['checkpoints'];
      const zone = o['time_zone'];
      if (zone !== undefined) {
        if (typeof zone !== 'string' || !knownTimeZone(zone)) {
          throw new RegistryError(source, [`time_zone: expected an IANA time zone such as "Asia/Shanghai", got ${describe(zone)}`]);
        }
        timeZone = zone;
      }
    }
    if (!Array.isArray(value)) throw new RegistryError(source, [`expected a JSON array of checkpoints, got ${describe(value)}`]);
    const issues: string[] = [];
    const list: Checkpoint[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < value.length && issues.length < MAX_ISSUES; i++) {
      const cp = checkEntry(value[i], i, issues);
      if (cp === null) continue;
      const first = seen.get(cp.id);
      if (first !== undefined) {
        issues.push(`[${i}].id: duplicate id ${describe(cp.id)} (first at [${first}])`);
        continue;
      }
      seen.set(cp.id, i);
      list.push(cp);
    }
    if (issues.length > 0) throw new RegistryError(source, issues);
    if (list.length === 0) throw new RegistryError(source, ['the registry is empty']);
    return new CheckpointRegistry(list, timeZone);
  }

  /** Parses registry JSON text. */
  static parse(text: string, source = 'checkpoints'): CheckpointRegistry {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new RegistryError(source, [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
    }
    return CheckpointRegistry.fromJson(value, source);
  }

  /** Reads and validates a registry file. */
  static async load(path: string): Promise<CheckpointRegistry> {
    return CheckpointRegistry.parse(await readFile(path, 'utf8'), path);
  }

  get size(): number {
    return this.list.length;
  }

  all(): readonly Checkpoint[] {
    return this.list;
  }

  get(id: string): Checkpoint | undefined {
    return this.cpById.get(id);
  }

  /** The checkpoint's position in the registry (0..size-1), for per-checkpoint arrays; undefined when unknown. */
  indexOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  segmentOf(id: string): string | undefined {
    return this.get(id)?.segment;
  }

  /** The checkpoints of a segment in registry order (the generator writes them in driving order). */
  checkpointsOf(segment: string): readonly Checkpoint[] {
    return this.bySegment.get(segment) ?? [];
  }

  segments(): readonly string[] {
    return [...this.bySegment.keys()];
  }

  isEntry(id: string): boolean {
    return this.get(id)?.kind === 'entry';
  }

  /** Any field of a checkpoint, standard or extra; undefined for an unknown checkpoint or field. */
  checkpointAttr(id: string, name: string): unknown {
    const cp = this.get(id);
    return cp === undefined || !Object.hasOwn(cp, name) ? undefined : cp[name];
  }

  /**
   * The next checkpoint downstream on the checkpoint's segment, "" for the last one: the registry's
   * `next_on_segment` where the checkpoint has it, else derived from geometry (see {@link cameraOrder}).
   * Undefined for an unknown checkpoint.
   */
  nextOnSegment(id: string): string | undefined {
    const cp = this.get(id);
    if (cp === undefined) return undefined;
    const given = cp['next_on_segment'];
    if (typeof given === 'string') return given;
    if (this.derivedNext === null) {
      this.derivedNext = new Map();
      for (const segment of this.bySegment.keys()) {
        const order = this.cameraOrder(segment);
        order.forEach((c, i) => {
          this.derivedNext?.set(c.id, order[i + 1]?.id ?? '');
        });
      }
    }
    return this.derivedNext.get(id);
  }

  /**
   * A segment's checkpoints in driving order, from geometry alone: along the line through its two farthest-apart
   * checkpoints, starting from the end farther from the centre of all checkpoints when the segment's traffic goes
   * `in` (towards the centre), from the nearer end when `out`. Right for radial roads; a ring road has no inside
   * end, so give such segments `next_on_segment` in the registry. A segment whose direction is neither (or mixed)
   * keeps registry order.
   */
  cameraOrder(segment: string): readonly Checkpoint[] {
    const cps = this.checkpointsOf(segment);
    if (cps.length < 2) return cps;
    let a = cps[0] as Checkpoint;
    let b = a;
    let far = -1;
    for (const p of cps) {
      for (const q of cps) {
        const d = this.distanceKm(p.id, q.id);
        if (d > far) {
          far = d;
          a = p;
          b = q;
        }
      }
    }
    let lat = 0;
    let lon = 0;
    for (const cp of this.list) {
      lat += cp.lat;
      lon += cp.lon;
    }
    lat /= this.list.length;
    lon /= this.list.length;
    const direction = normalizeDirection(cps[0]?.direction ?? '');
    if (direction === undefined || cps.some((cp) => normalizeDirection(cp.direction) !== direction)) return cps;
    const outer = haversineKm(a.lat, a.lon, lat, lon) >= haversineKm(b.lat, b.lon, lat, lon);
    const [start, end] = outer === (direction === 'in') ? [a, b] : [b, a];
    // Projection on start -> end in a local flat frame (km east, km north): exact enough within a segment.
    const kx = Math.cos((start.lat * Math.PI) / 180);
    const ax = (end.lon - start.lon) * kx;
    const ay = end.lat - start.lat;
    const along = (cp: Checkpoint): number => (cp.lon - start.lon) * kx * ax + (cp.lat - start.lat) * ay;
    return [...cps].sort((p, q) => along(p) - along(q));
  }

  /** The checkpoints without a value (absent, or null) for `field`. */
  lacking(field: string): readonly Checkpoint[] {
    return this.list.filter((cp) => cp[field] === undefined || cp[field] === null);
  }

  /** Great-circle distance in km, cached per pair; NaN when either id is unknown (every comparison with it is false). */
  distanceKm(a: string, b: string): number {
    const i = this.byId.get(a);
    const j = this.byId.get(b);
    if (i === undefined || j === undefined) return NaN;
    if (i === j) return 0;
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    const n = this.list.length;
    const slot = lo * n + hi;
    if (this.dense !== null) {
      const cached = this.dense[slot]!;
      if (!Number.isNaN(cached)) return cached;
      const d = this.compute(lo, hi);
      this.dense[slot] = d;
      return d;
    }
    const cached = this.sparse!.get(slot);
    if (cached !== undefined) return cached;
    const d = this.compute(lo, hi);
    this.sparse!.set(slot, d);
    return d;
  }

  private compute(i: number, j: number): number {
    const p = this.list[i]!;
    const q = this.list[j]!;
    return haversineKm(p.lat, p.lon, q.lat, q.lon);
  }
}
