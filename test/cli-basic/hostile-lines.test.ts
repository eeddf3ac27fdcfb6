import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEAD_LETTER_RAW_LIMIT } from '../../src/core/index.js';
import { captureIo } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
const write = (name: string, text: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const base = Date.parse('2026-03-02T08:00:00+08:00');
const rec = (id: string, ts: number): string =>
  JSON.stringify({ id, plate: '浙A12345', plate_color: 'blue', vehicle_type: 'car', checkpoint: 'CP0001', lane: 1, direction: 'in', speed: 50, ts });

describe('vigil run on hostile lines', () => {
  it('keeps a bounded prefix of a 30 MB line in its dead letter, with the length and SHA-256 of the whole', async () => {
    const huge = `{"id":"big","plate":"${'浙'.repeat(10 * 1024 * 1024)}"`; // 30 MiB of UTF-8, not valid JSON
    const input = write('huge.ndjson', [rec('r1', base), huge, rec('r3', base + 1000)].join('\n'));
    const dlq = join(dir, 'huge-dlq.ndjson');
    const io = captureIo(dir);
    expect(await main(['run', '--input', input, '--out', join(dir, 'huge-out.ndjson'), '--dead-letter', dlq], io)).toBe(0);
    const text = readFileSync(dlq, 'utf8');
    expect(text.length).toBeLessThan(2 * DEAD_LETTER_RAW_LIMIT);
    const [dead] = lines(text);
    const bytes = Buffer.byteLength(huge, 'utf8');
    expect(dead).toMatchObject({ line: 2, raw_truncated: true, raw_bytes: bytes, raw_sha256: createHash('sha256').update(huge, 'utf8').digest('hex') });
    expect(dead?.['reason']).toMatch(/^invalid JSON/);
    expect(huge.startsWith(String(dead?.['raw']).replace(/\uFFFD+$/, ''))).toBe(true);
    expect(io.err).toMatch(/3 records \(1 dead letters?, 0 late\)/);
  });

  it('keeps a short dead letter whole, with no truncation fields', async () => {
    const input = write('short.ndjson', [rec('r1', base), '{oops'].join('\n'));
    const dlq = join(dir, 'short-dlq.ndjson');
    expect(await main(['run', '--input', input, '--out', join(dir, 'short-out.ndjson'), '--dead-letter', dlq], captureIo(dir))).toBe(0);
    const [dead] = lines(readFileSync(dlq, 'utf8'));
    expect(dead).toEqual({ reason: expect.stringMatching(/^invalid JSON/), source: expect.any(String), line: 2, raw: '{oops' });
  });

  it('reads the first record of a file that starts with a UTF-8 byte-order mark', async () => {
    const input = write('bom.ndjson', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([rec('r1', base), rec('r2', base + 1000)].join('\n'))]));
    const dlq = join(dir, 'bom-dlq.ndjson');
    const io = captureIo(dir);
    expect(await main(['run', '--input', input, '--out', join(dir, 'bom-out.ndjson'), '--dead-letter', dlq], io)).toBe(0);
    expect(readFileSync(dlq, 'utf8')).toBe('');
    expect(io.err).toMatch(/2 records \(0 dead letters, 0 late\)/);
  });
});

describe('vigil match on hostile event times', () => {
  const pattern = write(
    'login.pattern',
    `source events
  event time ts
  watermark 0ms out of order

pattern login_then_buy
  from events
  key by user
  define
    a as kind == "login"
    b as kind == "buy"
  match a followed by b
  within 1m
`,
  );

  it.each([
    ['1e19', '1e19'],
    ['-1e19', '-1e19'],
    ['2^53 + 2', '9007199254740994'],
  ])('dead-letters a time of %s with a reason instead of looping on its timer', async (_name, ts) => {
    const input = write(`far-${_name.length}.ndjson`, `{"kind":"login","user":"u","ts":1000}\n{"kind":"login","user":"v","ts":${ts}}\n`);
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', pattern, '--input', input], io)).toBe(0);
    expect(lines(io.out)).toEqual([{ pattern: 'login_then_buy', timeout: { a: [{ kind: 'login', user: 'u', ts: 1000 }] } }]);
    expect(io.err).toMatch(/2 records \(1 dead letters?, 0 late\)/);
    expect(io.err).toMatch(/event time field 'ts' is out of range/);
  });

  it('still times out a partial match at 2^52 ms, the latest time accepted', async () => {
    const input = write('edge.ndjson', `{"kind":"login","user":"u","ts":${2 ** 52}}\n`);
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', pattern, '--input', input], io)).toBe(0);
    expect(lines(io.out)).toEqual([{ pattern: 'login_then_buy', timeout: { a: [{ kind: 'login', user: 'u', ts: 2 ** 52 }] } }]);
  });
});
