import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseContext } from '../../src/core/index.js';
import { decodeByteLine, FLAT_LINE_LIMIT, parseFlatObject, parseNdjsonBytes } from '../../src/io/ndjson-bytes.js';
import { parseNdjsonLine } from '../../src/io/ndjson-parse.js';
import { NdjsonSource } from '../../src/io/ndjson-source.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';
import { isRejection, RecordValidator } from '../../src/traffic/validate.js';

type Event = ['record', Record<string, unknown>] | ['watermark', number] | ['dead', string];

function collect(parse: (ctx: ParseContext<Record<string, unknown>>) => void): Event[] {
  const events: Event[] = [];
  parse({
    record: (r) => events.push(['record', r]),
    watermark: (ts) => events.push(['watermark', ts]),
    deadLetter: (reason) => events.push(['dead', reason]),
  });
  return events;
}

/** Equal as JSON.parse results: same keys in the same order, -0 is not 0, same prototype. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The byte parser on the line's UTF-8 bytes does exactly what the text parser does on its decoded text. */
function assertSameAsText(bytes: Buffer): void {
  const byteLine = bytes.toString('latin1');
  const text = bytes.toString('utf8');
  expect(decodeByteLine(byteLine)).toBe(text);
  const fast = collect((ctx) => parseNdjsonBytes(byteLine, ctx));
  const slow = collect((ctx) => parseNdjsonLine(text, ctx));
  if (!(fast.length === slow.length && fast.every((e, i) => e[0] === slow[i]?.[0] && sameValue(e[1], slow[i]?.[1])))) {
    expect.fail(`${JSON.stringify(text)}: bytes ${JSON.stringify(fast)} vs text ${JSON.stringify(slow)}`);
  }
}

const line = (s: string): Buffer => Buffer.from(s, 'utf8');

const ADVERSARIAL = [
  '{"id":"r1","plate":"浙A12345","ts":1}',
  '{"a":"\\u00e9","b":"\\"","c":"x\\\\y","d":"\\n"}',
  '{"s":"😀 𝄞 \uD83D\uDE00"}',
  '{"s":"\\ud83d\\ude00","t":"\\ud800"}',
  '{"n":-0}',
  '{"n":-0.0}',
  '{"n":0}',
  '{"n":1e5}',
  '{"n":1E-5}',
  '{"n":1.0}',
  '{"n":1.50}',
  '{"n":-1.25e+3}',
  '{"n":12345678901234567890}',
  '{"n":123456789012345678901234567890.5}',
  '{"n":9007199254740993}',
  '{"n":0.1}',
  '{"n":0.30000000000000004}',
  '{"n":123456789012345}',
  '{"n":1234567890123456}',
  '{"n":1.7976931348623157e309}',
  '{"n":01}',
  '{"n":-}',
  '{"n":1.}',
  '{"n":.5}',
  '{"n":+1}',
  '{"n":1e}',
  '{"n":NaN}',
  '{"n":Infinity}',
  '{"n":0x10}',
  ' { "a" : 1 , "b" :\t"x" } ',
  '{"a":1}\r',
  '{"a":1}\r\r',
  '{\r"a":1}',
  '\t{"a":1}',
  '{"o":{"x":1},"a":[1,2]}',
  '{"a":[]}',
  '{}',
  '{ }',
  '[]',
  '[1,2]',
  '"s"',
  '1',
  'null',
  'true',
  '{"a":1,"a":2}',
  '{"a":1,"b":2,"a":3}',
  '{"__proto__":1}',
  '{"__proto__":{"x":1}}',
  '{"constructor":1,"toString":2}',
  '{"1":"x","0":"y","b":1,"a":2}',
  '{"4294967295":1,"4294967294":2}',
  '{"$watermark":100}',
  '{"$watermark":"x"}',
  '{"a":1,"$watermark":5}',
  '{"a":1',
  '{"a":"x',
  '{"a":',
  '{"a"',
  '{',
  '',
  '   ',
  '\r',
  '{"a":1}}',
  '{"a":1},',
  '{"a":1} x',
  '{"a":1,}',
  '{,"a":1}',
  '\uFEFF{"a":1}',
  '{"a":"\u0001"}',
  '{"a":"tab\there"}',
  '{"a\u0001":1}',
  '{"ké":1}',
  '{"k\\u0065y":1}',
  '{"a":true,"b":false,"c":null}',
  '{"a":tru}',
  '{"a":nul}',
  '{"a":True}',
  '{"a":"' + 'x'.repeat(40) + '"}',
  '{"' + 'k'.repeat(40) + '":1}',
  '{"a":"京' + 'x'.repeat(30) + '京"}',
  '{"plate":"京A·12345","plate_color":"蓝"}',
  '{"a":"\u2028\u2029"}',
  '{"a":"\u007f"}',
];

describe('parseNdjsonBytes', () => {
  it('equals JSON.parse on adversarial lines', () => {
    for (const s of ADVERSARIAL) assertSameAsText(line(s));
  });

  it('equals JSON.parse on invalid UTF-8 and truncated lines', () => {
    const valid = line('{"p":"京A1","n":1.5}');
    for (let cut = 0; cut <= valid.length; cut++) assertSameAsText(valid.subarray(0, cut));
    for (const bad of [[0x80], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe4, 0xba], [0xff], [0xf0, 0x9f, 0x98]]) {
      assertSameAsText(Buffer.concat([line('{"p":"a'), Buffer.from(bad), line('b","q":1}')]));
      assertSameAsText(Buffer.concat([line('{"p'), Buffer.from(bad), line('":1}')]));
    }
  });

  it('equals JSON.parse on random flat and nested objects, compact or spaced', () => {
    const key = fc.oneof(
      fc.constantFrom('id', 'plate', 'ts', 'speed', 'lane', '__proto__', '$watermark', '0', '7', 'a b'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    );
    const scalar = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.double(),
      fc.integer(),
      fc.constantFrom(-0, 0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER + 2, 54.8, 1772406000041),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
    const object = fc.array(fc.tuple(key, value), { maxLength: 10 });
    const ws = fc.constantFrom('', '', '', ' ', '\t', '\r', '  ');
    fc.assert(
      fc.property(object, fc.array(ws, { minLength: 40, maxLength: 40 }), fc.boolean(), (entries, spaces, spaced) => {
        // Serialised by hand so duplicate keys and __proto__ survive; whitespace between tokens when spaced.
        let w = 0;
        const sp = (): string => (spaced ? (spaces[w++ % spaces.length] as string) : '');
        const body = entries.map(([k, v]) => sp() + JSON.stringify(k) + sp() + ':' + sp() + JSON.stringify(v) + sp()).join(',');
        const text = sp() + '{' + body + '}' + sp();
        assertSameAsText(line(text));
        // The same keys again: the second line takes the learned shape.
        assertSameAsText(line(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('equals JSON.parse on random byte lines and on records with bytes spliced in', () => {
    const record = '{"id":"r1","plate":"浙A12345","plate_color":"blue","checkpoint":"CP0001","lane":2,"speed":54.8,"ts":1772406000041}';
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.nat(), fc.nat({ max: 3 }), (bytes, at, drop) => {
        const b = line(record);
        const i = at % (b.length + 1);
        assertSameAsText(Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(Math.min(b.length, i + drop))]));
        assertSameAsText(Buffer.from(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves a line of megabytes to the general parser, which reads the same record (the regular expressions took a second)', () => {
    const text = `{"id":"long","plate":"${'浙'.repeat(2_000_000)}","ts":1772409600000}`;
    const line = Buffer.from(text, 'utf8').toString('latin1');
    expect(line.length).toBeGreaterThan(FLAT_LINE_LIMIT);
    expect(parseFlatObject(line)).toBeUndefined();
    const records: unknown[] = [];
    parseNdjsonBytes(line, { record: (r) => records.push(r), deadLetter: (reason) => records.push(reason), watermark: () => {} });
    expect(records).toEqual([JSON.parse(text)]);
  });

  it('keeps long strings as strings of their own, not views into the line', () => {
    const r = parseFlatObject(line(`{"a":"${'x'.repeat(50)}","b":"京${'y'.repeat(50)}"}`).toString('latin1'));
    expect(r).toEqual({ a: 'x'.repeat(50), b: '京' + 'y'.repeat(50) });
  });

  it('with validation, gives the same records and rejections as the text path', () => {
    const registry = CheckpointRegistry.fromJson([{ id: 'CP0001', name: 'a', lat: 30, lon: 120, segment: 'S1', direction: 'in', kind: 'entry', lanes: 3 }]);
    const validator = new RecordValidator(registry);
    const base = {
      id: 'r1',
      plate: '浙a·12345',
      plate_color: '蓝',
      vehicle_type: 'car',
      checkpoint: 'CP0001',
      lane: 2,
      direction: 'in',
      speed: 54.8,
      ts: 1772406000041,
    };
    const variants: unknown[] = [
      base,
      { ...base, ts: '2026-03-01T08:00:00+08:00' },
      { ...base, lane: 9 },
      { ...base, speed: -0 },
      { ...base, speed: 301 },
      { ...base, plate: '无牌' },
      { ...base, checkpoint: 'CP9' },
      { ...base, direction: 'out' },
      { ...base, ts: 1e3 },
      { ...base, extra: { x: 1 } },
    ];
    const check = (v: Record<string, unknown>): string => {
      const r = validator.validate(v);
      return isRejection(r) ? `${r.code}: ${r.detail}` : JSON.stringify(r);
    };
    for (const v of variants) {
      const text = JSON.stringify(v);
      const fast = collect((ctx) => parseNdjsonBytes(line(text).toString('latin1'), ctx)).map((e) => (e[0] === 'record' ? check(e[1]) : e));
      const slow = collect((ctx) => parseNdjsonLine(text, ctx)).map((e) => (e[0] === 'record' ? check(e[1]) : e));
      expect(fast).toEqual(slow);
    }
  });
});

describe('NdjsonSource byte lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bytes-'));

  it('gives the text lines, as bytes, with the same positions', async () => {
    const path = join(dir, 'a.ndjson');
    const big = '京'.repeat(400_000); // lines straddle the 1 MiB chunks, some mid-character
    const rows = ['\uFEFF{"a":1}', `{"s":"${big}"}`, '', '{"plate":"沪B1"}\r', 'not json', `{"t":"${big}x"}`, '{"last":true}'];
    writeFileSync(path, rows.join('\n'));
    const read = async (encoding: 'utf8' | 'latin1', batchSize: number): Promise<{ lines: string[]; positions: unknown[] }> => {
      const src = new NdjsonSource(path, { batchSize, encoding });
      const lines: string[] = [];
      const positions: unknown[] = [];
      for (let r = await src.poll(); r !== 'end'; r = await src.poll()) {
        if (r === 'idle') continue;
        lines.push(...r.records);
        positions.push(src.positions());
      }
      await src.close();
      return { lines, positions };
    };
    for (const batch of [1, 2, 5]) {
      const text = await read('utf8', batch);
      const bytes = await read('latin1', batch);
      expect(bytes.lines.map(decodeByteLine)).toEqual(text.lines);
      expect(bytes.positions).toEqual(text.positions);
    }
    expect(readFileSync(path).length).toBeGreaterThan(2 << 20);
  });
});
