import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/generate.js';
import { type CliIo, UserError } from '../../src/cli/io.js';
import { FIXTURES } from './helpers.js';

function io(cwd = process.cwd()): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd,
    env: {},
    stdout: (t: string) => void (captured.out += t),
    stderr: (t: string) => void (captured.err += t),
  };
  return captured;
}

const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

/** The fixture commands of fixtures/README.md, run in-process into a temp dir. */
function fixtureArgs(readme: string, file: string): string[] {
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${file}\``));
  const cmd = /`vigil generate ([^`]+)`/.exec(row ?? '')?.[1];
  if (cmd === undefined) throw new Error(`no command for ${file} in fixtures/README.md`);
  return cmd.split(' ');
}

describe('vigil generate', () => {
  it('writes NDJSON to stdout and a summary to stderr', async () => {
    const c = io();
    expect(await run(['--minutes', '2', '--seed', '5', '--scale', '0.02', '--start', '2026-03-02T08:00:00+08:00'], c)).toBe(0);
    const lines = c.out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(500);
    for (const l of lines.slice(0, 50))
      expect(Object.keys(JSON.parse(l))).toEqual(['id', 'plate', 'plate_color', 'vehicle_type', 'checkpoint', 'lane', 'direction', 'speed', 'ts']);
    expect(c.err).toMatch(new RegExp(`^vigil generate: ${lines.length} records, 0 anomalies`));
    const dash = io();
    expect(await run(['--minutes', '2', '--seed', '5', '--scale', '0.02', '--start', '2026-03-02T08:00:00+08:00', '--out', '-'], dash)).toBe(0);
    expect(dash.out).toBe(c.out);
  });

  it('writes --out and --truth files; --no-noise gives a clean feed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-gen-'));
    const c = io(dir);
    expect(
      await run(
        [
          '--minutes',
          '3',
          '--seed',
          'x',
          '--scale',
          '0.02',
          '--start',
          '2026-03-02T08:00:00+08:00',
          '--anomalies',
          '--no-noise',
          '--out',
          'o.ndjson',
          '--truth',
          't.json',
        ],
        c,
      ),
    ).toBe(0);
    expect(c.out).toBe('');
    const truth = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(truth.counts.records).toBe(readFileSync(join(dir, 'o.ndjson'), 'utf8').trim().split('\n').length);
    expect(truth.counts).toMatchObject({ misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, late_backlog: 0 });
    expect(truth.noise.skewed_cameras).toEqual([]);
    expect(truth.anomalies.length).toBeGreaterThan(0);
    expect(truth.known_vehicles.length).toBeGreaterThan(100);
  });

  it('--checkpoints prints the registry fixture', async () => {
    const c = io();
    expect(await run(['--checkpoints'], c)).toBe(0);
    expect(c.out).toBe(fixture('checkpoints.json'));
  });

  it("--checkpoints with city options prints that city's registry", async () => {
    const c = io();
    expect(await run(['--checkpoints', '--layout', 'ring', '--cameras', '1', '--registry', 'required', '--directions', 'through'], c)).toBe(0);
    const reg = JSON.parse(c.out) as Record<string, unknown>[];
    expect(Object.keys(reg[0]!)).toEqual(['id', 'name', 'lat', 'lon', 'segment', 'direction', 'kind']);
    expect(new Set(reg.map((r) => r['segment'])).size).toBe(reg.length);
    expect(reg.some((r) => r['direction'] === 'through')).toBe(true);
  });

  it('--city takes a matrix city with its options; flags override its settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-gen-'));
    const c = io(dir);
    expect(await run(['--city', 'corridor-through', '--minutes', '50', '--scale', '0.01', '--out', 'o.ndjson', '--truth', 't.json'], c)).toBe(0);
    const truth = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(truth.generator).toMatchObject({
      seed: 'm3',
      minutes: 50,
      scale: 0.01,
      anomalies: true,
      city: { layout: 'corridor', cameras: [1, 3], registry: 'full', directions: 'through' },
    });
    expect(truth.generator.start).toBe(Date.parse('2026-03-02T13:00:00+08:00'));
    expect(truth.anomalies.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'o.ndjson'), 'utf8')).toContain('"direction":"through"');
  });

  it.each([
    [['--checkpoints', '--layout', 'star'], /--layout must be one of grid, ring, corridor, got 'star'/],
    [['--checkpoints', '--cameras', '3-1'], /--cameras must be N or LO-HI within 1-4/],
    [['--checkpoints', '--cameras', '5'], /--cameras must be N or LO-HI within 1-4/],
    [['--checkpoints', '--registry', 'some'], /--registry must be one of full, required/],
    [['--checkpoints', '--directions', 'up'], /--directions must be one of in-out, upper, inbound-outbound, through, compass/],
    [['--checkpoints', '--city', 'atlantis'], /--city atlantis: no such city/],
    [['--minutes', '5', '--dirt', 'filthy'], /--dirt must be one of none, light, reference, heavy/],
    [['--minutes', '5', '--misreads', '2'], /--misreads must be a share from 0 to 1/],
    [['--minutes', '5', '--difficulty', 'insane'], /--difficulty must be one of standard, hard/],
    [['--minutes', '5', '--meet-once=-1'], /--meet-once must be a share from 0 to 1/],
    [['--minutes', '5', '--quiet-minutes', 'x'], /--quiet-minutes must be a number of minutes/],
  ])('refuses city, dirt and anomaly flags out of range: %j', async (args, message) => {
    await expect(run(args, io())).rejects.toThrow(UserError);
    await expect(run(args, io())).rejects.toThrow(message);
  });

  it.each([
    [[], /--minutes is required/],
    [['--minutes', '0'], /--minutes must be a positive number/],
    [['--minutes', 'ten'], /--minutes must be a positive number/],
    [['--minutes', '5', '--scale=-1'], /--scale must be a positive number/],
    [['--minutes', '5', '--start', '2026-03-02T08:00:00'], /--start must be ISO-8601 with a zone/],
    [['--minutes', '5', '--outages', '1.5'], /--outages must be a whole number/],
    [['--minutes', '5', '--outage-minutes', '90'], /--outage-minutes must be LO-HI/],
    [['--minutes', '5', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j', async (args, message) => {
    await expect(run(args, io())).rejects.toThrow(UserError);
    await expect(run(args, io())).rejects.toThrow(message);
  });

  it('--help prints usage', async () => {
    const c = io();
    expect(await run(['--help'], c)).toBe(0);
    expect(c.out).toMatch(/^usage: vigil generate/);
  });
});

describe('fixtures are what their documented commands generate (golden)', () => {
  const readme = fixture('README.md');
  it.each([
    ['sample-traffic.ndjson', 'sample-truth.json'],
    ['backlog-traffic.ndjson', 'backlog-truth.json'],
  ])('%s', async (traffic, truth) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fix-'));
    const args = fixtureArgs(readme, traffic).map((a) => a.replace(/^fixtures\//, ''));
    expect(await run(args, io(dir))).toBe(0);
    expect(readFileSync(join(dir, traffic), 'utf8')).toBe(fixture(traffic));
    expect(readFileSync(join(dir, truth), 'utf8')).toBe(fixture(truth));
  });

  it('demo-traffic.ndjson.gz (gzipped after generating)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fix-'));
    const args = fixtureArgs(readme, 'demo-traffic.ndjson.gz').map((a) => a.replace(/^fixtures\//, ''));
    expect(await run(args, io(dir))).toBe(0);
    const packed = readFileSync(new URL('demo-traffic.ndjson.gz', FIXTURES));
    expect(readFileSync(join(dir, 'demo-traffic.ndjson'), 'utf8')).toBe(gunzipSync(packed).toString('utf8'));
    expect(readFileSync(join(dir, 'demo-truth.json'), 'utf8')).toBe(fixture('demo-truth.json'));
  });

  it('the sample has ~2,000 records over 20 minutes with every anomaly kind and noise', () => {
    const t = JSON.parse(fixture('sample-truth.json'));
    expect(t.counts.records).toBeGreaterThan(1500);
    expect(t.counts.records).toBeLessThan(2500);
    expect(new Set(t.anomalies.map((a: { type: string }) => a.type))).toEqual(
      new Set(['cloned_plate', 'flow_surge', 'flow_drop', 'congestion', 'first_entry']),
    );
    expect(t.noise.misreads.length).toBeGreaterThan(0);
    expect(t.noise.duplicates.length).toBeGreaterThan(0);
    expect(t.noise.skewed_cameras.length).toBeGreaterThan(0);
  });

  it('the backlog fixture holds a camera ~3 hours behind', () => {
    const t = JSON.parse(fixture('backlog-truth.json'));
    const [o] = t.noise.outages;
    expect(o.to - o.from).toBeGreaterThan(170 * 60_000);
    expect(o.records).toBeGreaterThan(50);
    const lines = fixture('backlog-traffic.ndjson')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { checkpoint: string; ts: number });
    const late = lines.filter((r) => r.checkpoint === o.checkpoint && r.ts >= o.from && r.ts < o.to);
    expect(late.length).toBeGreaterThanOrEqual(o.records);
    const firstLate = lines.indexOf(late[0]!);
    expect(Math.max(...lines.slice(0, firstLate).map((r) => r.ts))).toBeGreaterThan(o.to - 10_000);
    expect(late[0]!.ts).toBeLessThan(o.from + 30 * 60_000);
  });
});
