/**
 * Sorts lines by a numeric key with bounded memory: sorted runs of at most `runLines` lines go to temporary files,
 * then a k-way merge through a heap writes them out in order. Stable: lines with equal keys keep their input order
 * (within a run by a stable sort, across runs because the heap breaks ties by run, and runs are in input order).
 * Lines are latin1 byte strings (byte-lines.ts), written back with the bytes they were read with.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MinHeap } from '../core/index.js';
import { ByteLineReader, ByteLineWriter } from './byte-lines.js';

/** Lines a run holds by default: about 60 MB of 300-byte records. */
export const DEFAULT_RUN_LINES = 200_000;
/** Runs merged at once by default (an open file and a read buffer each); more are merged in passes. */
export const DEFAULT_FAN_IN = 64;

export interface ExternalSortOptions {
  /** A folder for the runs (emptied of them at the end). */
  readonly tmpDir: string;
  /** Lines held in memory at most, per run. */
  readonly runLines?: number;
  readonly fanIn?: number;
}

export interface ExternalSortStats {
  readonly lines: number;
  readonly runs: number;
  /** The most lines held in memory at once. */
  readonly maxHeld: number;
  /** Merge passes before the last (0 when the runs fit one merge). */
  readonly passes: number;
}

interface Keyed {
  readonly key: number;
  readonly line: string;
}

/** A run's next line, its key read back from the run file's `KEY\tLINE` layout. */
interface Cursor {
  key: number;
  line: string;
  readonly run: number;
  readonly reader: ByteLineReader;
}

function advance(c: Cursor): boolean {
  const raw = c.reader.next();
  if (raw === undefined) return false;
  const tab = raw.indexOf('\t');
  c.key = Number(raw.slice(0, tab));
  c.line = raw.slice(tab + 1);
  return true;
}

/** Merges run files (in input order) into one writer; `keep` writes the key too (an intermediate run). */
function merge(paths: readonly string[], out: ByteLineWriter, keep: boolean): void {
  const heap = new MinHeap<Cursor>((a, b) => a.key < b.key || (a.key === b.key && a.run < b.run));
  const readers: ByteLineReader[] = [];
  try {
    for (let run = 0; run < paths.length; run++) {
      const reader = new ByteLineReader(paths[run] as string);
      readers.push(reader);
      const c: Cursor = { key: 0, line: '', run, reader };
      if (advance(c)) heap.push(c);
    }
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      out.line(keep ? `${top.key}\t${top.line}` : top.line);
      if (advance(top)) heap.topChanged();
      else heap.pop();
    }
  } finally {
    for (const r of readers) r.close();
  }
}

/** Writes the lines of `batches` to `outPath` ordered by `key` (a line's key may be -Infinity, never NaN). */
export async function sortLinesExternally(
  batches: AsyncIterable<readonly string[]>,
  key: (line: string) => number,
  outPath: string,
  options: ExternalSortOptions,
): Promise<ExternalSortStats> {
  const runLines = Math.max(1, Math.floor(options.runLines ?? DEFAULT_RUN_LINES));
  const fanIn = Math.max(2, Math.floor(options.fanIn ?? DEFAULT_FAN_IN));
  let paths: string[] = [];
  let made = 0;
  const runPath = (): string => join(options.tmpDir, `run-${made++}.txt`);
  let held: Keyed[] = [];
  let lines = 0;
  let maxHeld = 0;
  const spill = (): void => {
    if (held.length === 0) return;
    maxHeld = Math.max(maxHeld, held.length);
    // Array.prototype.sort is stable: equal keys keep their order.
    held.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const path = runPath();
    const w = new ByteLineWriter(path);
    for (const k of held) w.line(`${k.key}\t${k.line}`);
    w.close();
    paths.push(path);
    held = [];
  };
  try {
    for await (const batch of batches) {
      for (const line of batch) {
        held.push({ key: key(line), line });
        lines++;
        if (held.length >= runLines) spill();
      }
    }
    spill();
    const runs = paths.length;
    let passes = 0;
    // Consecutive runs merge into one: the runs stay in input order, so ties stay stable.
    while (paths.length > fanIn) {
      passes++;
      const next: string[] = [];
      for (let i = 0; i < paths.length; i += fanIn) {
        const group = paths.slice(i, i + fanIn);
        const path = runPath();
        const w = new ByteLineWriter(path);
        merge(group, w, true);
        w.close();
        for (const p of group) rmSync(p, { force: true });
        next.push(path);
      }
      paths = next;
    }
    const out = new ByteLineWriter(outPath);
    merge(paths, out, false);
    out.close();
    return { lines, runs, maxHeld, passes };
  } finally {
    for (const p of paths) rmSync(p, { force: true });
  }
}
