import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/helpers.js';

// Golden runs of the shipped rules over fixtures/sample-traffic.ndjson with one thing wrong in the feed: whatever
// it is, the alerts are those of the clean feed, and the bad records are accounted for with a clear reason.
const REPO = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-feed-'));
const sample = readFileSync(join(REPO, 'fixtures', 'sample-traffic.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const registry = JSON.parse(readFileSync(join(REPO, 'fixtures', 'checkpoints.json'), 'utf8')) as Array<{ id: string; kind: string }>;
const inner = new Set(registry.filter((cp) => cp.kind === 'inner').map((cp) => cp.id));
const HOUR = 3_600_000;

interface Run {
  readonly alerts: string[];
  /** The alerts without their evidence (the records, as the feed gave them). */
  readonly found: string[];
  readonly dead: Array<{ reason: string; line: number; raw: string }>;
  readonly summary: string;
}

async function run(name: string, lines: readonly string[]): Promise<Run> {
  const input = join(dir, `${name}.ndjson`);
  writeFileSync(input, lines.join('\n') + '\n');
  const out = join(dir, `${name}.alerts.ndjson`);
  const dlq = join(dir, `${name}.dead.ndjson`);
  const io = captureIo(REPO);
  expect(await main(['run', '--input', input, '--out', out, '--dead-letter', dlq], io)).toBe(0);
  const read = (p: string): string[] =>
    readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  // detected_at is processing time; everything else must match the clean run.
  const parsed = read(out).map((l) => JSON.parse(l) as Record<string, unknown>);
  const alerts = parsed.map(({ detected_at: _, ...rest }) => JSON.stringify(rest)).sort();
  const found = parsed.map(({ detected_at: _, evidence: __, ...rest }) => JSON.stringify(rest)).sort();
  return { alerts, found, dead: read(dlq).map((l) => JSON.parse(l) as Run['dead'][number]), summary: io.err };
}

function shifted(line: string, id: string, byMs: number): string {
  const r = JSON.parse(line) as { id: string; ts: number };
  return JSON.stringify({ ...r, id, ts: r.ts + byMs });
}

describe('vigil run: a bad feed does not blind the city', async () => {
  const clean = await run('clean', sample);

  it('the clean feed: 57 alerts, nothing refused or noted', () => {
    expect(clean.alerts).toHaveLength(57);
    expect(clean.dead).toEqual([]);
    // Camera clocks corrected (the shipped passes): the one record a skewed clock made late before is on time.
    expect(clean.summary).toMatch(/1,914 records \(0 dead letters, 0 late\) -> 57 alerts/);
  });

  it('a record dated a day ahead as the first line moves no watermark: the same alerts, the record counted', async () => {
    const r = await run('day-ahead-first', [shifted(sample[0] as string, 'bad-clock', 24 * HOUR), ...sample]);
    expect(r.alerts).toEqual(clean.alerts);
    // Nothing could judge it when it came (no other camera had reported yet): kept, moving no watermark, and
    // counted once the cameras agreed on a time.
    expect(r.summary).toMatch(/1,915 records \(0 dead letters, 0 late; kept with notes: 1 future_at_start\) -> 57 alerts/);
  });

  it.each([
    // Judged against corrected times: 45 minutes ahead is 45m 1s ahead of the cameras (1 s: the gap to the
    // latest time three cameras had reached), not 44m against cameras whose fast clocks had moved the consensus.
    ['45 minutes', 45 * 60_000, '45m'],
    ['a day', 24 * HOUR, '1d'],
  ])('a record %s ahead mid-stream is a future_ts dead letter saying by how much; the alerts stay', async (_what, byMs, said) => {
    const at = 900;
    const lines = [...sample.slice(0, at), shifted(sample[at] as string, 'bad-clock', byMs), ...sample.slice(at)];
    const r = await run(`ahead-${byMs}`, lines);
    expect(r.alerts).toEqual(clean.alerts);
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0]?.line).toBe(at + 1);
    expect(r.dead[0]?.reason).toMatch(new RegExp(`^future_ts: \\S+Z is ${said}( \\d+[hms])* ahead of the time 3 of \\d+ cameras have reached \\S+Z$`));
    expect(r.summary).toMatch(/\(1 dead letters, 0 late\) -> 57 alerts/);
  });

  it('a record a few minutes ahead is kept and counted, and holds no one else late', async () => {
    const at = 900;
    const lines = [...sample.slice(0, at), shifted(sample[at] as string, 'fast-clock', 8 * 60_000), ...sample.slice(at)];
    const r = await run('ahead-8m', lines);
    expect(r.alerts).toEqual(clean.alerts);
    expect(r.dead).toEqual([]);
    expect(r.summary).toMatch(/\(0 dead letters, 0 late; kept with notes: 1 clock_ahead\) -> 57 alerts/);
  });

  it('inner cameras saying "through" lose no record: kept as given, counted', async () => {
    let n = 0;
    const lines = sample.map((l) => {
      const r = JSON.parse(l) as { checkpoint: string; direction?: string };
      if (!inner.has(r.checkpoint)) return l;
      n++;
      return JSON.stringify({ ...r, direction: 'through' });
    });
    expect(n).toBeGreaterThan(1000);
    const r = await run('through', lines);
    expect(r.found).toEqual(clean.found);
    expect(r.dead).toEqual([]);
    expect(r.summary).toContain(`kept with notes: ${n.toLocaleString('en')} direction_unknown`);
  });

  it('synonyms are normalised, and a direction against the camera is kept and counted', async () => {
    let flipped = 0;
    const lines = sample.map((l, i) => {
      const r = JSON.parse(l) as { direction?: string };
      if (r.direction === undefined) return l;
      if (i % 10 === 0) {
        flipped++;
        return JSON.stringify({ ...r, direction: r.direction === 'in' ? 'out' : 'in' });
      }
      return JSON.stringify({ ...r, direction: r.direction === 'in' ? (i % 2 === 0 ? '进城' : 'Inbound') : 'outbound' });
    });
    const r = await run('synonyms', lines);
    expect(r.found).toEqual(clean.found);
    expect(r.dead).toEqual([]);
    expect(r.summary).toContain(`kept with notes: ${flipped} direction_mismatch)`);
  });
});
