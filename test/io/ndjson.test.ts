import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNdjsonLine } from '../../src/io/ndjson-parse.js';
import { NDJSON_WRITE_CHUNK, NdjsonSink } from '../../src/io/ndjson-sink.js';
import { NdjsonSource } from '../../src/io/ndjson-source.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-io-'));

async function drain(src: NdjsonSource): Promise<{ lines: string[]; offsets: number[] }> {
  const lines: string[] = [];
  const offsets: number[] = [];
  for (let r = await src.poll(); r !== 'end'; r = await src.poll()) {
    if (r === 'idle') continue;
    r.records.forEach((l, i) => {
      lines.push(l);
      offsets.push(r.firstOffset + i);
    });
  }
  return { lines, offsets };
}

describe('NdjsonSource', () => {
  it('reads lines across chunk boundaries, multi-byte characters intact, CRLF and a missing final newline handled', async () => {
    const path = join(dir, 'a.ndjson');
    const big = 'x'.repeat(1 << 20); // forces a line to straddle the 1 MiB read chunk
    writeFileSync(path, `{"plate":"京A12345"}\r\n{"s":"${big}"}\n\n{"plate":"沪B1"}`);
    const { lines, offsets } = await drain(new NdjsonSource(path, { batchSize: 2 }));
    expect(lines.map((l) => l.slice(0, 20))).toEqual(['{"plate":"京A12345"}', `{"s":"${'x'.repeat(14)}`, '', '{"plate":"沪B1"}']);
    expect(offsets).toEqual([0, 1, 2, 3]);
  });

  it('resumes from stored positions at the next unread line', async () => {
    const path = join(dir, 'b.ndjson');
    writeFileSync(path, ['1', '2', '3', '4', '5'].map((n) => `{"n":${n}}`).join('\n') + '\n');
    const first = new NdjsonSource(path, { batchSize: 2 });
    await first.poll();
    const positions = first.positions();
    const second = new NdjsonSource(path, { batchSize: 2 });
    await second.seek(positions);
    const { lines, offsets } = await drain(second);
    expect(lines).toEqual(['{"n":3}', '{"n":4}', '{"n":5}']);
    expect(offsets).toEqual([2, 3, 4]);
  });

  it('counts positions in bytes with multi-byte text, so a restore lands on the right line', async () => {
    const path = join(dir, 'c.ndjson');
    const rows = Array.from({ length: 7 }, (_, i) => `{"plate":"京A${i}号牌","n":${i}}`);
    writeFileSync(path, rows.join('\n') + '\n');
    const first = new NdjsonSource(path, { batchSize: 3 });
    await first.poll();
    await first.poll();
    const positions = first.positions();
    expect(positions[0]).toBe(Buffer.byteLength(rows.slice(0, 6).join('\n') + '\n'));
    const second = new NdjsonSource(path, { batchSize: 3 });
    await second.seek(positions);
    expect((await drain(second)).lines).toEqual([rows[6]]);
  });
});

describe('parseNdjsonLine', () => {
  const collect = (line: string) => {
    const out: Array<[string, unknown]> = [];
    parseNdjsonLine(line, {
      record: (v) => out.push(['record', v]),
      watermark: (t) => out.push(['watermark', t]),
      deadLetter: (r) => out.push(['dead', r]),
    });
    return out;
  };
  it('separates records, watermarks, blanks and bad lines', () => {
    expect(collect('{"a":1}')).toEqual([['record', { a: 1 }]]);
    expect(collect('{"$watermark": 1000}')).toEqual([['watermark', 1000]]);
    expect(collect('   ')).toEqual([]);
    expect(collect('{"a":')[0]?.[0]).toBe('dead');
    expect(collect('{"a":')[0]?.[1]).toMatch(/^invalid JSON: /);
    expect(collect('[1,2]')).toEqual([['dead', 'expected a JSON object, got an array']]);
    expect(collect('{"$watermark":"soon"}')).toEqual([['dead', '$watermark must be a finite number of epoch ms, got "soon"']]);
  });
});

describe('NdjsonSink', () => {
  it('writes one JSON document per line on flush and truncates an old file', async () => {
    const path = join(dir, 'out.ndjson');
    writeFileSync(path, 'stale\n');
    const sink = new NdjsonSink<{ a: number }>(path);
    sink.write({ a: 1 });
    sink.write({ a: 2 });
    expect(sink.buffered).toBeGreaterThan(0);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('writes a large batch in bounded pieces, never joined into one string, with every line whole and in order', async () => {
    const pieces: string[] = [];
    const sink = new NdjsonSink<{ i: number; pad: string }>(
      'unused',
      (v) => v,
      (text) => pieces.push(text),
    );
    const pad = 'x'.repeat(100_000);
    for (let i = 0; i < 40; i++) sink.write({ i, pad });
    sink.write({ i: 40, pad: 'y'.repeat(3 * NDJSON_WRITE_CHUNK) }); // one line past the piece size goes alone
    sink.write({ i: 41, pad: '' });
    await sink.flush();
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) {
      expect(p.endsWith('\n')).toBe(true);
      if (!p.includes('y')) expect(p.length).toBeLessThan(NDJSON_WRITE_CHUNK + 110_000);
    }
    const lines = pieces
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines).toEqual(Array.from({ length: 42 }, (_, i) => i));
  });
});
