/**
 * The external sort: runs of a bounded number of lines on disk, merged through a heap. Its output is the stable
 * in-memory sort's, byte for byte, while it never holds more than a run (spills happen as the input is read).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { byteLineBatches } from '../../src/io/byte-lines.js';
import { sortLinesExternally } from '../../src/io/external-sort.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-test-xsort-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The in-memory stable sort the external one must equal. */
const inMemory = (lines: readonly string[], key: (l: string) => number): string[] =>
  lines
    .map((line, i) => ({ line, i, k: key(line) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((e) => e.line);

async function* batches(lines: readonly string[], size: number): AsyncGenerator<string[]> {
  for (let i = 0; i < lines.length; i += size) yield lines.slice(i, i + size);
}

/** A deterministic shuffle of keys with many ties (a small LCG, not Math.random). */
function lines(n: number): string[] {
  let x = 12345;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const k = x % 40;
    out.push(k === 0 ? `no key ${i}` : `${k}|line ${i}`);
  }
  return out;
}
const keyOf = (l: string): number => (l.startsWith('no key') ? Number.NEGATIVE_INFINITY : Number(l.slice(0, l.indexOf('|'))));

describe('sortLinesExternally', () => {
  it('equals the stable in-memory sort over several runs and merge passes, holding at most a run', async () => {
    const input = lines(500);
    const tmp = mkdtempSync(join(dir, 'runs-'));
    const out = join(dir, 'out-1.txt');
    // At the i-th key, the runs written so far must hold every earlier line but the last run's worth.
    let seen = 0;
    let worstHeld = 0;
    const key = (l: string): number => {
      const spilled = readdirSync(tmp).length * 37;
      worstHeld = Math.max(worstHeld, seen - spilled);
      seen++;
      return keyOf(l);
    };
    const stats = await sortLinesExternally(batches(input, 50), key, out, { tmpDir: tmp, runLines: 37, fanIn: 3 });
    expect(stats).toEqual({ lines: 500, runs: 14, maxHeld: 37, passes: 2 });
    expect(worstHeld).toBeLessThan(37);
    expect(readFileSync(out, 'latin1')).toBe(`${inMemory(input, keyOf).join('\n')}\n`);
    // The runs are gone.
    expect(readdirSync(tmp)).toEqual([]);
    // Ties across runs stay in input order: every key's lines come out by ascending line number.
    const order = readFileSync(out, 'latin1').trimEnd().split('\n');
    const byKey = new Map<string, number[]>();
    for (const l of order) {
      const k = l.startsWith('no key') ? '-' : l.slice(0, l.indexOf('|'));
      byKey.set(k, [...(byKey.get(k) ?? []), Number(l.slice(l.lastIndexOf(' ') + 1))]);
    }
    for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });

  it('writes nothing for no input and one run for a small one', async () => {
    const out = join(dir, 'out-empty.txt');
    expect(await sortLinesExternally(batches([], 1), keyOf, out, { tmpDir: dir })).toEqual({ lines: 0, runs: 0, maxHeld: 0, passes: 0 });
    expect(readFileSync(out, 'latin1')).toBe('');
    const small = join(dir, 'out-small.txt');
    expect(await sortLinesExternally(batches(['2|b', '1|a', '2|a'], 2), keyOf, small, { tmpDir: dir })).toEqual({ lines: 3, runs: 1, maxHeld: 3, passes: 0 });
    expect(readFileSync(small, 'latin1')).toBe('1|a\n2|b\n2|a\n');
  });
});

describe('byteLineBatches', () => {
  // UTF-8 text, a byte that is no UTF-8 at all, a tab and a '\r' before the newline: all kept as read.
  const body = Buffer.concat([
    Buffer.from('3|浙A12345\r\n', 'utf8'),
    Buffer.from([0x31, 0x7c, 0xff, 0xfe, 0x09, 0x0a]),
    Buffer.from('2|last without newline', 'utf8'),
  ]);

  const read = async (path: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const b of byteLineBatches(path)) out.push(...b);
    return out;
  };

  it('reads plain and gzip files, skips a leading byte-order mark, and the sort writes the bytes back', async () => {
    const plain = join(dir, 'bytes.txt');
    const gz = join(dir, 'bytes.txt.gz');
    writeFileSync(plain, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]));
    writeFileSync(gz, gzipSync(body));
    const expected = ['3|浙A12345\r', '1|\u00ff\u00fe\t', '2|last without newline'].map((l) =>
      Buffer.from(l, l.startsWith('3') ? 'utf8' : 'latin1').toString('latin1'),
    );
    expect(await read(plain)).toEqual(expected);
    expect(await read(gz)).toEqual(expected);
    const out = join(dir, 'bytes-sorted.txt');
    await sortLinesExternally(byteLineBatches(gz), keyOf, out, { tmpDir: dir, runLines: 1 });
    const lines = body.toString('latin1').split('\n');
    const want = Buffer.from(`${[lines[1], lines[2], lines[0]].join('\n')}\n`, 'latin1');
    expect(readFileSync(out).equals(want)).toBe(true);
  });
});
