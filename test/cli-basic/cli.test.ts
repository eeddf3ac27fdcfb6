import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lines = (text: string): unknown[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('vigil (dispatcher)', () => {
  it('prints usage, and exits 1 on an unknown command', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/usage: vigil <command>/);
    const bad = captureIo();
    expect(await main(['frobnicate'], bad)).toBe(1);
    expect(bad.err).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('vigil check', () => {
  it('is clean on the shipped patterns and rules', async () => {
    const io = captureIo();
    expect(await main(['check'], io)).toBe(0);
    expect(io.err).toMatch(/^ok: /);
  });

  it('exits 1 with file:line:col, the line and a caret for a bad pattern file', async () => {
    const p = write('bad.pattern', 'source s\n  event time ts\n\nstream x = from s\n  key by\n');
    const io = captureIo(dir);
    expect(await main(['check', p], io)).toBe(1);
    const [first, line, caret] = io.err.split('\n');
    expect(first).toMatch(/^bad\.pattern:\d+:\d+: /);
    expect(line).toBeDefined();
    expect(caret).toMatch(/^\s*\^$/);
  });

  it('links rules against the shipped patterns and reports unknown parameters in the rule file', async () => {
    const r = write('r.yaml', 'id: r1\npattern: cloned_plate\nparams:\n  max_speed: 100\n');
    const io = captureIo(dir);
    expect(await main(['check', r], io)).toBe(1);
    expect(io.err).toMatch(/^r\.yaml:4:3: params\.max_speed: unknown parameter of pattern 'cloned_plate'/);
  });
});

describe('vigil match', () => {
  const pattern = write(
    'ab.pattern',
    `source events
  event time ts
  watermark 0s out of order

pattern ab
  from events
  key by k
  define
    a as kind == "a"
    b as kind == "b" and v > a.v
  match a followed by b
  within 1m
  on timeout emit { k: a.k }
`,
  );

  it('prints each match and each timeout as one JSON line, dead-letters bad lines and keeps late events out', async () => {
    const input = write(
      'in.ndjson',
      [
        { k: 'x', kind: 'a', v: 1, ts: 1000 },
        { k: 'x', kind: 'c', v: 5, ts: 2000 },
        { k: 'x', kind: 'b', v: 3, ts: '1970-01-01T00:00:03Z' },
        { k: 'y', kind: 'a', v: 1, ts: 4000 },
      ]
        .map((o) => JSON.stringify(o))
        .concat(['not json', '{"$watermark": 100000}', JSON.stringify({ k: 'z', kind: 'a', v: 1, ts: 50 })])
        .join('\n'),
    );
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', pattern, '--input', input], io)).toBe(0);
    expect(lines(io.out)).toEqual([
      { pattern: 'ab', match: { a: [{ k: 'x', kind: 'a', v: 1, ts: 1000 }], b: [{ k: 'x', kind: 'b', v: 3, ts: 3000 }] } },
      { pattern: 'ab', timeout: { a: [{ k: 'y', kind: 'a', v: 1, ts: 4000 }] } },
    ]);
    expect(io.err).toMatch(/7 records \(1 dead letters, 1 late\)/);
  });

  it('keeps partial matches open at the end of an --unbounded input', async () => {
    const input = write('open.ndjson', JSON.stringify({ k: 'y', kind: 'a', v: 1, ts: 4000 }) + '\n');
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', pattern, '--input', input, '--unbounded'], io)).toBe(0);
    expect(io.out).toBe('');
  });

  it('exits 1 with a usage message when flags are missing', async () => {
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', pattern], io)).toBe(1);
    expect(io.err).toMatch(/--pattern and --input are required/);
  });
});

describe('vigil run', () => {
  it('writes alerts, late records and dead letters with reasons, and prints streams', async () => {
    const base = Date.parse('2026-03-02T08:00:00+08:00');
    const rec = (id: string, checkpoint: string, ts: number, plate = '浙A12345') =>
      JSON.stringify({ id, plate, plate_color: 'blue', vehicle_type: 'car', checkpoint, lane: 1, direction: 'in', speed: 50, ts });
    const input = write(
      'run.ndjson',
      [
        rec('r1', 'CP0001', base),
        '{"id":"r2","plate":"浙A1","plate_color":"blue","checkpoint":"CP9999","speed":50,"ts":1}',
        rec('r3', 'CP0002', base + 60_000),
        '{oops',
      ].join('\n'),
    );
    const out = join(dir, 'alerts.ndjson');
    const dlq = join(dir, 'dlq.ndjson');
    const io = captureIo(dir);
    expect(await main(['run', '--input', input, '--out', out, '--dead-letter', dlq, '--stream', 'flow_1m'], io)).toBe(0);
    const dead = lines(readFileSync(dlq, 'utf8')) as Array<{ reason: string; line: number }>;
    expect(dead.map((d) => [d.line, d.reason.split(':')[0]])).toEqual([
      [2, 'unknown_checkpoint'],
      [4, 'invalid JSON'],
    ]);
    const printed = lines(io.out) as Array<{ stream: string; checkpoint: string; flow: number }>;
    expect(printed.map((p) => [p.stream, p.checkpoint, p.flow])).toEqual([
      ['flow_1m', 'CP0001', 1],
      ['flow_1m', 'CP0002', 1],
    ]);
    // A plate never seen before at an entry checkpoint: first-entry alerts only when the checkpoint is an entry.
    const alerts = lines(readFileSync(out, 'utf8')) as Array<{ rule: string; id: string }>;
    for (const a of alerts) expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(io.err).toMatch(/vigil run: 4 records \(2 dead letters, 0 late\)/);
  });

  it('refuses an unknown --stream with the list of streams', async () => {
    const input = write('empty.ndjson', '');
    const io = captureIo(dir);
    expect(await main(['run', '--input', input, '--stream', 'nope'], io)).toBe(1);
    expect(io.err).toMatch(/--stream nope: no such stream \(streams: .*flow_1m/);
  });
});

describe('vigil check (job-level errors)', () => {
  it('reports what only the job compiler sees, such as a late stream with two producers, as file:line:col with exit 1', async () => {
    const window = 'key by k window tumbling 1m late into l select k, count() as n';
    const p = write('late.pattern', `source a\n  event time ts\n\nstream w1 = from a ${window}\nstream w2 = from a ${window}\nstream r = from l\n`);
    const io = captureIo(dir);
    expect(await main(['check', p], io)).toBe(1);
    expect(io.err).toBe(`late.pattern:5:1: late stream 'l' has several producers; give each its own 'late into' name\nstream w2 = from a ${window}\n^\n`);
  });

  it('accepts a program of several sources (each job reads the ones its rules need)', async () => {
    const p = write('two.pattern', 'source a\n  event time ts\n  fields { ts: timestamp }\n\nsource b\n  event time ts\n  fields { ts: timestamp }\n');
    const io = captureIo(dir);
    expect(await main(['check', p], io)).toBe(0);
    expect(io.err).toContain('2 source(s)');
  });
});
