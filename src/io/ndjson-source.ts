import { open, type FileHandle } from 'node:fs/promises';
import type { PollResult, Source, SourcePositions } from '../core/index.js';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export interface NdjsonSourceOptions {
  /** Lines per batch: the unit between which checkpoints may be taken. */
  readonly batchSize?: number;
}

/**
 * Reads an NDJSON file (or stdin when path is '-') as one partition of raw lines. Positions are byte offsets,
 * so a checkpointed file replay seeks straight back to the next unread line; stdin cannot seek.
 * Lines are handed on unparsed: JSON errors become dead letters in the job, with the line kept.
 */
export class NdjsonSource implements Source<string> {
  readonly name: string;
  private handle: FileHandle | undefined;
  private stdin: AsyncIterator<Buffer> | undefined;
  private readonly batchSize: number;
  private buffer: Buffer = Buffer.alloc(0);
  /** Byte offset in the file of buffer[0]. */
  private bufferOffset = 0;
  /** Byte offset of the next unread line. */
  private position = 0;
  private lineNumber = 0;
  private eof = false;
  private ended = false;

  constructor(
    readonly path: string,
    options: NdjsonSourceOptions = {},
  ) {
    this.name = path === '-' ? 'stdin' : path;
    this.batchSize = options.batchSize ?? 2048;
  }

  partitions(): readonly number[] {
    return [0];
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    let chunk: Buffer;
    if (this.path === '-') {
      this.stdin ??= (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      const r = await this.stdin.next();
      if (r.done === true) {
        this.eof = true;
        return false;
      }
      chunk = r.value;
    } else {
      this.handle ??= await open(this.path, 'r');
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.bufferOffset + this.buffer.length);
      if (bytesRead === 0) {
        this.eof = true;
        return false;
      }
      chunk = buf.subarray(0, bytesRead);
    }
    // Keep only the unread tail of the old buffer.
    const consumed = this.position - this.bufferOffset;
    this.buffer = Buffer.concat([this.buffer.subarray(consumed), chunk]);
    this.bufferOffset = this.position;
    return true;
  }

  async poll(): Promise<PollResult<string>> {
    if (this.ended) return 'end';
    const lines: string[] = [];
    const firstLine = this.lineNumber;
    while (lines.length < this.batchSize) {
      const start = this.position - this.bufferOffset;
      const nl = this.buffer.indexOf(NEWLINE, start);
      if (nl < 0) {
        if (await this.fill()) continue;
        // A last line without a trailing newline still counts.
        if (start < this.buffer.length) {
          lines.push(this.buffer.toString('utf8', start, this.buffer.length));
          this.position = this.bufferOffset + this.buffer.length;
          this.lineNumber++;
        }
        this.ended = true;
        break;
      }
      const end = nl > start && this.buffer[nl - 1] === 0x0d ? nl - 1 : nl;
      lines.push(this.buffer.toString('utf8', start, end));
      this.position = this.bufferOffset + nl + 1;
      this.lineNumber++;
    }
    return { partition: 0, records: lines, firstOffset: firstLine, endOfPartition: this.ended };
  }

  positions(): SourcePositions {
    return { 0: this.position, line: this.lineNumber };
  }

  async seek(positions: SourcePositions): Promise<void> {
    if (this.path === '-') throw new Error('stdin cannot be rewound: restore from a checkpoint needs a file or Kafka input');
    this.position = positions[0] ?? 0;
    this.lineNumber = positions['line'] ?? 0;
    this.bufferOffset = this.position;
    this.buffer = Buffer.alloc(0);
    this.eof = false;
    this.ended = false;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
