import { type FileHandle, open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { PollResult, Source, SourcePositions } from '../core/index.js';

const CHUNK = 1 << 20;

export interface NdjsonSourceOptions {
  /** Lines per batch: the unit between which checkpoints may be taken. */
  readonly batchSize?: number;
  /**
   * 'utf8' (default): lines are text. 'latin1': lines are byte strings, one char per byte, for
   * {@link parseNdjsonBytes} (io/ndjson-bytes.ts), which decodes what it needs; no text decoding at all here.
   */
  readonly encoding?: 'utf8' | 'latin1';
}

/**
 * Reads an NDJSON file (or stdin when path is '-') as one partition of raw lines. Positions are byte offsets,
 * so a checkpointed file replay seeks straight back to the next unread line; stdin cannot seek.
 * Lines are handed on unparsed: JSON errors become dead letters in the job, with the line kept.
 * Each 1 MiB chunk is decoded to text once and lines are slices of it (decoding line by line costs more than
 * parsing them); byte positions are counted per batch, not per line.
 */
export class NdjsonSource implements Source<string> {
  readonly name: string;
  private handle: FileHandle | undefined;
  private stdin: AsyncIterator<Buffer> | undefined;
  private readonly batchSize: number;
  private readonly latin1: boolean;
  private decoder = new StringDecoder('utf8');
  /** Decoded text not yet consumed starts at text[idx]. */
  private text = '';
  private idx = 0;
  /** Byte offset in the file of text[mark]; bytes between mark and idx are counted lazily. */
  private mark = 0;
  private markOffset = 0;
  /** Where the next read from the file starts. */
  private readOffset = 0;
  private lineNumber = 0;
  private eof = false;
  private ended = false;
  /** The next chunk is the file's first bytes: a UTF-8 byte-order mark there is skipped, not part of line 1. */
  private atStart = true;

  constructor(
    readonly path: string,
    options: NdjsonSourceOptions = {},
  ) {
    this.name = path === '-' ? 'stdin' : path;
    this.batchSize = options.batchSize ?? 2048;
    this.latin1 = options.encoding === 'latin1';
  }

  partitions(): readonly number[] {
    return [0];
  }

  /** Byte offset of the next unread line. */
  private bytePosition(): number {
    if (this.idx !== this.mark) {
      this.markOffset += this.latin1 ? this.idx - this.mark : Buffer.byteLength(this.text.slice(this.mark, this.idx), 'utf8');
      this.mark = this.idx;
    }
    return this.markOffset;
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    let chunk: Buffer | null;
    if (this.path === '-') {
      this.stdin ??= (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      const r = await this.stdin.next();
      chunk = r.done === true ? null : r.value;
    } else {
      this.handle ??= await open(this.path, 'r');
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.readOffset);
      this.readOffset += bytesRead;
      chunk = bytesRead === 0 ? null : buf.subarray(0, bytesRead);
    }
    // Keep only the unread tail, with its byte offset settled first.
    this.bytePosition();
    if (this.atStart && chunk !== null) {
      this.atStart = false;
      // Editors on Windows write one; it would make the first record invalid JSON. Its bytes still count in offsets.
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        this.markOffset += 3;
      }
    }
    const tail = this.text.slice(this.idx);
    if (chunk === null) {
      this.eof = true;
      this.text = this.latin1 ? tail : tail + this.decoder.end();
    } else {
      this.text = tail + (this.latin1 ? chunk.toString('latin1') : this.decoder.write(chunk));
    }
    this.idx = 0;
    this.mark = 0;
    return chunk !== null;
  }

  async poll(): Promise<PollResult<string>> {
    if (this.ended) return 'end';
    const lines: string[] = [];
    const firstLine = this.lineNumber;
    while (lines.length < this.batchSize) {
      const nl = this.text.indexOf('\n', this.idx);
      if (nl < 0) {
        if (await this.fill()) continue;
        if (!this.eof) continue;
        // A last line without a trailing newline still counts.
        if (this.idx < this.text.length) {
          lines.push(this.text.slice(this.idx));
          this.idx = this.text.length;
          this.lineNumber++;
        }
        this.ended = true;
        break;
      }
      const end = nl > this.idx && this.text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      lines.push(this.text.slice(this.idx, end));
      this.idx = nl + 1;
      this.lineNumber++;
    }
    return { partition: 0, records: lines, firstOffset: firstLine, endOfPartition: this.ended };
  }

  positions(): SourcePositions {
    return { 0: this.bytePosition(), line: this.lineNumber };
  }

  async seek(positions: SourcePositions): Promise<void> {
    if (this.path === '-') throw new Error('stdin cannot be rewound: restore from a checkpoint needs a file or Kafka input');
    const offset = positions[0] ?? 0;
    this.readOffset = offset;
    this.markOffset = offset;
    this.lineNumber = positions['line'] ?? 0;
    this.text = '';
    this.idx = 0;
    this.mark = 0;
    this.decoder = new StringDecoder('utf8');
    this.eof = false;
    this.ended = false;
    this.atStart = offset === 0;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
