import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPaths, domainSchemas, functionsFor, loadRegistry, lookupSignatures } from '../../src/app/index.js';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { type CheckedProgram, compileSources, formatDslError } from '../../src/dsl/index.js';
import { formatWarning, lintProgram, type Warning } from '../../src/dsl/lint.js';
import { TRAFFIC_BOUNDED_FIELDS, TRAFFIC_RECORD_SCHEMA } from '../../src/traffic/index.js';

const registry = loadRegistry(defaultPaths.checkpoints);
const functions = functionsFor(registry);

const SOURCE = 'source passes\n  event time ts\n  watermark 30s out of order\n';

function check(text: string, file = 'l.pattern'): CheckedProgram {
  const r = compileSources([{ file, source: text }], { functions, lookups: lookupSignatures(), schemas: domainSchemas(), schema: TRAFFIC_RECORD_SCHEMA });
  if (r.program === null) throw new Error(r.errors.map((e) => formatDslError(e, text)).join('\n'));
  return r.program;
}

/** Lints `SOURCE + body`; positions in expectations count the three source lines. */
function lint(body: string): { warnings: Warning[]; text: string } {
  const text = SOURCE + body;
  // The source takes the traffic fields without declaring `schema traffic`: the bounded ones come with them.
  return { warnings: lintProgram(check(text), { boundedFields: TRAFFIC_BOUNDED_FIELDS }), text };
}

const only = (ws: Warning[]): Warning => {
  expect(ws).toHaveLength(1);
  return ws[0] as Warning;
};

describe('lintProgram: one test per warning class', () => {
  it('`followed by any` without `within`', () => {
    const { warnings, text } = lint('pattern p\n  from passes\n  key by checkpoint\n  match a followed by any b\n');
    const w = only(warnings);
    expect(w).toEqual({
      code: 'followed-by-any-without-within',
      severity: 'warning',
      file: 'l.pattern',
      line: 7,
      col: 11,
      message:
        '`followed by any` without `within` keeps every partial match forever and forks a new one for each matching event of the key; add `within <duration>` to the pattern',
    });
    expect(formatWarning(w, text)).toBe(
      'l.pattern:7:11: warning: `followed by any` without `within` keeps every partial match forever and forks a new one for each matching event of the key; add `within <duration>` to the pattern\n' +
        '  match a followed by any b\n' +
        '          ^',
    );
  });

  it('`followed by` without `within`', () => {
    const { warnings } = lint('pattern p\n  from passes\n  key by checkpoint\n  match a next b followed by c\n');
    const w = only(warnings);
    expect([w.code, w.line, w.col]).toEqual(['followed-by-without-within', 7, 18]);
    expect(w.message).toBe(
      '`followed by` without `within` keeps a partial match per key until its next term matches, which may be never; add `within <duration>` to the pattern',
    );
  });

  it('loops `+`, `*` and `{n,}` without `within`, one warning each, at the term', () => {
    const { warnings, text } = lint(
      'pattern p\n  from passes\n  key by checkpoint\n  define\n    z as speed > 1\n  match a next b+ next c* next d{2,} next e{2,4} next z\n',
    );
    expect(warnings.map((w) => [w.code, w.line, w.col])).toEqual([
      ['loop-without-within', 9, 16],
      ['loop-without-within', 9, 24],
      ['loop-without-within', 9, 32],
    ]);
    expect(warnings.map((w) => w.message)).toEqual(
      ['b+', 'c*', 'd{2,}'].map(
        (l) => `loop \`${l}\` without \`within\` can collect events into a partial match without bound; add \`within <duration>\` to the pattern`,
      ),
    );
    expect(
      formatWarning(warnings[0] as Warning, text)
        .split('\n')
        .slice(1),
    ).toEqual(['  match a next b+ next c* next d{2,} next e{2,4} next z', '               ^']);
  });

  it('a pattern keyed by an unbounded key (plate) with no `within` keeps state per key forever', () => {
    const { warnings, text } = lint('pattern p\n  from passes\n  key by plate, plate_color\n  match a next b\n');
    const w = only(warnings);
    expect(w.code).toBe('unbounded-key-without-within');
    expect(formatWarning(w, text)).toBe(
      'l.pattern:6:10: warning: `key by plate, plate_color` has unbounded values and the pattern has no `within`, so a key that starts a partial match and is never seen again keeps it forever; add `within <duration>` to the pattern\n' +
        '  key by plate, plate_color\n' +
        '         ^',
    );
  });

  it('session gap above one day', () => {
    const { warnings, text } = lint('stream s = from passes\n  key by plate\n  window session gap 2d\n  select plate, count() as n\n');
    const w = only(warnings);
    expect(formatWarning(w, text)).toBe(
      "l.pattern:6:22: warning: session gap 2d keeps a key's window open until the key has been quiet for 2d, so a busy key never releases it; use a gap of at most 1d or a tumbling window\n" +
        '  window session gap 2d\n' +
        '                     ^',
    );
    expect(w.code).toBe('long-session-gap');
  });

  it('allowed lateness above one day', () => {
    const { warnings, text } = lint(
      'stream s = from passes\n  key by checkpoint\n  window tumbling 1h\n  allowed lateness 36h\n  select checkpoint, count() as n\n',
    );
    const w = only(warnings);
    expect(w.code).toBe('long-allowed-lateness');
    expect(formatWarning(w, text)).toBe(
      "l.pattern:7:20: warning: allowed lateness 36h keeps every window's state for 36h after it fires; keep it at 1d or less and send later records to a `late into` stream\n" +
        '  allowed lateness 36h\n' +
        '                   ^',
    );
  });

  it('`enrich first_seen` is an info note (state kept forever in Redis by design)', () => {
    const { warnings, text } = lint('stream seen = from passes\n  enrich is_new = first_seen(plate)\n');
    const w = only(warnings);
    expect([w.code, w.severity]).toEqual(['lookup-keeps-state', 'info']);
    expect(formatWarning(w, text)).toBe(
      'l.pattern:5:19: note: `first_seen` keeps every key it sees in Redis without expiry, so the store grows with the number of distinct keys; this is by design, size Redis for it\n' +
        '  enrich is_new = first_seen(plate)\n' +
        '                  ^',
    );
  });
});

describe('lintProgram: what it leaves alone', () => {
  it('`within` silences every pattern warning', () => {
    const { warnings } = lint('pattern p\n  from passes\n  key by plate\n  match a followed by any b+ followed by c\n  within 10m\n');
    expect(warnings).toEqual([]);
  });

  it('a single-event pattern keeps no state, whatever its key', () => {
    expect(lint('pattern p\n  from passes\n  key by plate\n  match a\n').warnings).toEqual([]);
    // ...but a counted term waits for its second event.
    expect(lint('pattern p\n  from passes\n  key by plate\n  match a{2}\n').warnings.map((w) => w.code)).toEqual(['unbounded-key-without-within']);
  });

  it('a bounded key (a checkpoint, a boolean, a function of a checkpoint) needs no `within` for `next`', () => {
    expect(lint('pattern p\n  from passes\n  key by checkpoint, direction\n  match a next b{3}\n').warnings).toEqual([]);
    expect(lint('pattern p\n  from passes\n  key by speed > 100\n  match a next b\n').warnings).toEqual([]);
    expect(lint('pattern p\n  from passes\n  key by segment_of(checkpoint)\n  match a next b\n').warnings).toEqual([]);
  });

  it('traces a key through select aliases, select * and late streams; aggregates and window bounds are unbounded', () => {
    const streams =
      'stream seg = from passes\n  key by segment_of(checkpoint)\n  window tumbling 5m\n  late into seg_late\n' +
      '  select segment_of(checkpoint) as segment, avg(speed) as v\n' +
      'stream seg_all = from seg\n  where v > 0\n  select *\n';
    expect(lint(`${streams}pattern p\n  from seg_all\n  key by segment\n  match a next b\n`).warnings).toEqual([]);
    expect(lint(`${streams}pattern p\n  from seg_late\n  key by lane\n  match a next b\n`).warnings).toEqual([]);
    const byAvg = lint(`${streams}pattern p\n  from seg_all\n  key by v\n  match a next b\n`).warnings;
    expect(byAvg.map((w) => w.code)).toEqual(['unbounded-key-without-within']);
    const byStart = lint(`${streams}pattern p\n  from seg\n  key by window_start\n  match a next b\n`).warnings;
    expect(byStart.map((w) => w.code)).toEqual(['unbounded-key-without-within']);
  });

  it('an unkeyed pattern with only `next` keeps a bounded state', () => {
    expect(lint('pattern p\n  from passes\n  match a next b next c\n').warnings).toEqual([]);
  });

  it('a session gap and allowed lateness of exactly one day are fine', () => {
    const body = 'stream s = from passes\n  key by plate\n  window session gap 1d\n  allowed lateness 24h\n  select plate, count() as n\n';
    expect(lint(body).warnings).toEqual([]);
  });

  it('warnings come sorted by file, line and column', () => {
    const text =
      'pattern p\n  from passes\n  key by checkpoint\n  match a followed by b+\n' +
      'stream s = from passes\n  key by plate\n  window session gap 3d\n  select plate, count() as n\n';
    const ws = lint(text).warnings;
    expect(ws.map((w) => [w.line, w.col, w.code])).toEqual([
      [7, 11, 'followed-by-without-within'],
      [7, 23, 'loop-without-within'],
      [10, 22, 'long-session-gap'],
    ]);
  });
});

describe('the shipped patterns', () => {
  it('lint with one note only: first_seen in first-entry.pattern', () => {
    const dir = defaultPaths.patterns;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.pattern'))
      .sort()
      .map((f) => ({ file: `patterns/${f}`, source: readFileSync(join(dir, f), 'utf8') }));
    const r = compileSources(files, { functions, lookups: lookupSignatures(), schemas: domainSchemas(), schema: TRAFFIC_RECORD_SCHEMA });
    expect(r.errors).toEqual([]);
    const ws = lintProgram(r.program as CheckedProgram);
    expect(ws.map((w) => `${w.file}:${w.line}:${w.col}: ${w.severity} ${w.code}`)).toEqual(['patterns/first-entry.pattern:6:19: info lookup-keeps-state']);
  });
});

describe('vigil check prints lint output on stderr and keeps the exit code', () => {
  const io = (cwd: string): CliIo & { err: string } => {
    const x = { err: '', cwd, env: {}, stdout: () => undefined, stderr: (t: string) => void (x.err += t) };
    return x;
  };

  it('a warning after the summary line, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lint-'));
    // The source names the traffic schema, as `vigil check` types it (an open source would add a note).
    writeFileSync(join(dir, 'w.pattern'), `${SOURCE}  schema traffic\npattern p\n  from passes\n  key by plate\n  match a followed by b\n`);
    const c = io(dir);
    expect(await main(['check', 'w.pattern'], c)).toBe(0);
    const lines = c.err.split('\n');
    expect(lines[0]).toMatch(/^ok: 1 pattern file\(s\): 1 source\(s\), 0 stream\(s\), 1 pattern\(s\)/);
    expect(lines.slice(1)).toEqual([
      'w.pattern:8:11: warning: `followed by` without `within` keeps a partial match per key until its next term matches, which may be never; add `within <duration>` to the pattern',
      '  match a followed by b',
      '          ^',
      '',
    ]);
  });

  it('a file with errors still exits 1 and prints no lint output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lint-'));
    writeFileSync(join(dir, 'e.pattern'), `${SOURCE}  schema traffic\npattern p\n  from passes\n  match a followed by b\n  emit { x: nope }\n`);
    const c = io(dir);
    expect(await main(['check', 'e.pattern'], c)).toBe(1);
    expect(c.err).not.toMatch(/warning:/);
  });
});
