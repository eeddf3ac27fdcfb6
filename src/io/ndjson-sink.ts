import { type FileHandle, open } from 'node:fs/promises';
import type { Sink } from '../core/index.js';

/**
 * Lines are joined into pieces of about this many chars for each write: a batch of matches can hold gigabytes,
 * past the longest string V8 can make (about 512 MiB), so it is never joined whole.
 */
export const NDJSON_WRITE_CHUNK = 1 << 20;

/**
 * Writes one JSON document per line to a file, or to stdout for '-'. Lines are buffered in memory and written on
 * flush (the task flushes between batches and before checkpoints), so the per-record cost is one stringify.
 */
export class NdjsonSink<T> implements Sink<T> {
  private pending: string[] = [];
  private pendingBytes = 0;
  private handle: FileHandle | undefined;
  private opened = false;

  constructor(
    readonly path: string,
    private readonly format: (value: T) => unknown = (v) => v,
    private readonly write_: ((text: string) => void) | undefined = undefined,
  ) {}

  write(value: T): void {
    const line = JSON.stringify(this.format(value)) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
  }

  /** Bytes waiting for the next flush: callers flush early when this grows. */
  get buffered(): number {
    return this.pendingBytes;
  }

  async flush(): Promise<void> {
    if (!this.opened) {
      this.opened = true;
      // Truncate even when nothing is written, so a rerun never leaves a stale file behind.
      if (this.path !== '-' && this.write_ === undefined) this.handle = await open(this.path, 'w');
    }
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let from = 0;
    let size = 0;
    for (let i = 0; i < lines.length; i++) {
      size += (lines[i] as string).length;
      if (size < NDJSON_WRITE_CHUNK && i < lines.length - 1) continue;
      await this.out(from === i ? (lines[i] as string) : lines.slice(from, i + 1).join(''));
      from = i + 1;
      size = 0;
    }
  }

  private async out(text: string): Promise<void> {
    if (this.write_ !== undefined) this.write_(text);
    else if (this.handle !== undefined) await this.handle.write(text);
    else await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }
}
