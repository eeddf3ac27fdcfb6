/**
 * Files read and written as lines of bytes: latin1 strings, one char per byte, so a line goes back to disk with the
 * bytes it was read with, whatever its encoding. Lines are split at '\n' only (a '\r' before it stays in the line).
 */
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';

const READ_CHUNK = 1 << 20;
/** A UTF-8 byte-order mark as latin1 chars. */
const BOM = '\u00ef\u00bb\u00bf';

/** The first bytes of a file, for its magic number. */
function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's lines, gzip or not (by its magic number), streamed in batches (the lines of about a read chunk each),
 * so memory holds one chunk whatever the file's size. A UTF-8 byte-order mark at the start is not part of line 1
 * (as NdjsonSource reads it). The last line counts without a trailing newline.
 */
export async function* byteLineBatches(path: string): AsyncGenerator<string[]> {
  const magic = head(path, 3);
  const file = createReadStream(path, { highWaterMark: READ_CHUNK });
  let stream: AsyncIterable<Buffer> = file;
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: READ_CHUNK });
    file.on('error', (error) => gunzip.destroy(error));
    stream = file.pipe(gunzip);
  }
  let carry = '';
  let first = true;
  for await (const chunk of stream) {
    let text = carry + chunk.toString('latin1');
    if (first) {
      if (text.length < BOM.length) {
        carry = text;
        continue;
      }
      first = false;
      if (text.startsWith(BOM)) text = text.slice(BOM.length);
    }
    const lines: string[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      lines.push(text.slice(from, nl));
      from = nl + 1;
    }
    carry = text.slice(from);
    if (lines.length > 0) yield lines;
  }
  if (first && carry.startsWith(BOM)) carry = carry.slice(BOM.length);
  if (carry !== '') yield [carry];
}

/** A plain file's lines one at a time, read synchronously a chunk at a time: a k-way merge holds k of these. */
export class ByteLineReader {
  private readonly fd: number;
  private readonly buf: Buffer;
  private text = '';
  private idx = 0;
  private eof = false;
  private closed = false;

  constructor(path: string, chunk = 64 * 1024) {
    this.fd = openSync(path, 'r');
    this.buf = Buffer.allocUnsafe(chunk);
  }

  /** The next line, undefined at the end (the file is closed then). */
  next(): string | undefined {
    for (;;) {
      const nl = this.text.indexOf('\n', this.idx);
      if (nl >= 0) {
        const line = this.text.slice(this.idx, nl);
        this.idx = nl + 1;
        return line;
      }
      if (this.eof) {
        this.close();
        if (this.idx >= this.text.length) return undefined;
        const last = this.text.slice(this.idx);
        this.idx = this.text.length;
        return last;
      }
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      if (n === 0) this.eof = true;
      this.text = this.text.slice(this.idx) + this.buf.toString('latin1', 0, n);
      this.idx = 0;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Appends latin1 text to a file in pieces of about a write chunk. */
export class ByteLineWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Writes the line and a '\n'. */
  line(text: string): void {
    this.pending.push(text, '\n');
    this.size += text.length + 1;
    if (this.size >= READ_CHUNK) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''), null, 'latin1');
    this.pending = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
