/**
 * A recorded NDJSON file replayed in accelerated time: the records of one minute of the recording are released
 * over 60 / pace seconds, so a dashboard watches them arrive as they would live. The file is read whole (it is a
 * bundled fixture; `.gz` is decompressed). Byte lines are latin1 strings, as the job's parsers expect.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { PollResult, Source, SourcePositions } from '../../core/index.js';
import { UserError } from '../errors.js';

/** How many records after a record vote on its time: a lone record from a camera running fast is outvoted. */
const LOOKAHEAD = 8;

export interface PacedSourceOptions {
  /** Event-time ms replayed per wall-clock ms (60: a minute a second). */
  readonly pace: number;
  readonly batchSize?: number;
  /** Wall clock (tests). */
  readonly now?: () => number;
}

/** The lines of an NDJSON file, gzip or not, as latin1 byte strings; blank lines left out. */
export function readNdjsonLines(path: string): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new UserError(`${path}: not a readable gzip file (${(error as Error).message})`);
    }
  }
  return bytes
    .toString('latin1')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/**
 * When each line is released, in event-time ms: the earliest `ts` among it and the LOOKAHEAD lines after it, never
 * before the line before it (the file is in arrival order). A camera whose clock runs minutes fast does not hold
 * back the records behind it, and a real gap in the recording is still a gap (the records after it agree on it).
 */
export function arrivalTimes(lines: readonly string[]): Float64Array {
  const ts = lines.map((line) => {
    const m = /"ts"\s*:\s*(-?\d+(?:\.\d+)?)/.exec(line);
    return m === null ? Number.NaN : Number(m[1]);
  });
  const out = new Float64Array(lines.length);
  let clock = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < lines.length; i++) {
    let vote = Number.POSITIVE_INFINITY;
    for (let j = i; j < Math.min(lines.length, i + LOOKAHEAD + 1); j++) if (Number.isFinite(ts[j] as number)) vote = Math.min(vote, ts[j] as number);
    if (Number.isFinite(vote)) clock = Math.max(clock, vote);
    out[i] = clock;
  }
  // Lines before the first time (or a file without any) go at the first time there is, else at 0.
  const first = out.findIndex((t) => Number.isFinite(t));
  for (let i = 0; i < (first < 0 ? out.length : first); i++) out[i] = first < 0 ? 0 : (out[first] as number);
  return out;
}

export class PacedSource implements Source<string> {
  readonly name: string;
  private readonly arrivals: Float64Array;
  private readonly batchSize: number;
  private readonly now: () => number;
  private next = 0;
  private startedAt: number | undefined;
  private ended = false;

  constructor(
    name: string,
    private readonly lines: readonly string[],
    private readonly options: PacedSourceOptions,
  ) {
    if (!(options.pace > 0) || !Number.isFinite(options.pace)) throw new UserError(`--pace must be a positive number, got ${options.pace}`);
    this.name = name;
    this.arrivals = arrivalTimes(lines);
    this.batchSize = options.batchSize ?? 1024;
    this.now = options.now ?? Date.now;
  }

  partitions(): readonly number[] {
    return [0];
  }

  /** The recording's time the replay has reached (epoch ms); null before the first poll or for an empty file. */
  replayTime(): number | null {
    if (this.startedAt === undefined || this.lines.length === 0) return null;
    const start = this.arrivals[0] as number;
    return Math.min(start + (this.now() - this.startedAt) * this.options.pace, this.arrivals[this.lines.length - 1] as number);
  }

  /** Lines released so far, and in all. */
  progress(): { readonly released: number; readonly total: number } {
    return { released: this.next, total: this.lines.length };
  }

  async poll(): Promise<PollResult<string>> {
    if (this.ended) return 'end';
    this.startedAt ??= this.now();
    if (this.next >= this.lines.length) {
      this.ended = true;
      return { partition: 0, records: [], firstOffset: this.next, endOfPartition: true };
    }
    const until = (this.arrivals[0] as number) + (this.now() - this.startedAt) * this.options.pace;
    let to = this.next;
    while (to < this.lines.length && to - this.next < this.batchSize && (this.arrivals[to] as number) <= until) to++;
    if (to === this.next) return 'idle';
    const from = this.next;
    this.next = to;
    return { partition: 0, records: this.lines.slice(from, to), firstOffset: from, endOfPartition: false };
  }

  positions(): SourcePositions {
    return { 0: this.next };
  }

  async seek(positions: SourcePositions): Promise<void> {
    this.next = positions[0] ?? 0;
  }

  async close(): Promise<void> {}
}
