/**
 * The first hour with the `vigil` command (issue 12): what a new user meets when a path, a file or an input is
 * wrong, and what `vigil run` / `vigil match` say about what they refused. In-process, through main().
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { terminalProgress } from '../../src/cli/progress.js';
import { parseTimeZone } from '../../src/cli/time-zone.js';
import { captureIo, tempDir, vigil } from '../cli/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const sample = join(root, 'fixtures', 'sample-traffic.ndjson');
const sampleTruth = join(root, 'fixtures', 'sample-truth.json');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const rec = (id: string, checkpoint: string, ts: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ id, plate: '浙A12345', plate_color: 'blue', vehicle_type: 'car', checkpoint, lane: 1, direction: 'in', speed: 50, ts, ...extra });
const base = Date.parse('2026-03-02T08:00:00+08:00');

describe('vigil --version', () => {
  it('prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V', 'version']) {
      const r = await vigil([flag]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`vigil ${version}\n`);
    }
  });
});

describe('output paths are checked before any work', () => {
  const dir = tempDir({ 'in.ndjson': rec('r1', 'CP0001', base) + '\n' });
  const input = join(dir, 'in.ndjson');

  it.each([
    ['--out', 'a directory', (d: string) => d, /--out .* is a directory; name a file to write/],
    ['--out', 'a missing folder', (d: string) => join(d, 'nope', 'a.ndjson'), /--out .*: no such folder/],
    ['--dead-letter', 'a missing folder', (d: string) => join(d, 'nope', 'd.ndjson'), /--dead-letter .*: no such folder/],
    ['--late', 'a directory', (d: string) => d, /--late .* is a directory/],
  ])('vigil run %s naming %s exits 1 with one line, no stack trace', async (flag, _what, path, message) => {
    const r = await vigil(['run', '--input', input, flag, path(dir)], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    // Nothing ran: no summary line.
    expect(r.err).not.toMatch(/records \(/);
  });

  it('vigil generate --out and --truth are checked before generating', async () => {
    const a = await vigil(['generate', '--minutes', '600', '--out', join(dir, 'nope', 'x.ndjson')], dir);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/^vigil generate: --out .*: no such folder/);
    const b = await vigil(['generate', '--minutes', '600', '--truth', dir], dir);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/--truth .* is a directory/);
  });

  it('--known-vehicles naming a missing file blames --known-vehicles, not the input', async () => {
    const r = await vigil(['run', '--input', input, '--known-vehicles', 'nope.json'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toBe('vigil run: no such --known-vehicles file: nope.json\n');
  });

  it('a missing input names the input', async () => {
    const r = await vigil(['run', '--input', 'missing.ndjson'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toBe('vigil run: no such input file: missing.ndjson\n');
  });
});

describe('vigil run says what it refused', () => {
  it('summarises dead letters by reason on stderr without --dead-letter, and fails beyond --max-dead-letters', async () => {
    const lines = [rec('r1', 'CP0001', base), rec('r2', 'CP9999', base + 1000), '{oops', rec('r3', 'CP9998', base + 2000)];
    const dir = tempDir({ 'in.ndjson': lines.join('\n') + '\n' });
    const r = await vigil(['run', '--input', 'in.ndjson', '--format', 'ndjson'], dir);
    // 3 of 4 records are dead letters: more than the default half.
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/vigil run: 4 records \(3 dead letters, 0 late\)/);
    expect(r.err).toMatch(/vigil run: dead letters: 3 of 4 records \(75\.0%\): unknown_checkpoint 2, invalid JSON 1; --dead-letter FILE keeps them/);
    expect(r.err).toMatch(/75\.0% of the records are dead letters, more than --max-dead-letters 50\.0% allows/);

    const allowed = await vigil(['run', '--input', 'in.ndjson', '--format', 'ndjson', '--max-dead-letters', '80%'], dir);
    expect(allowed.code).toBe(0);
    expect(allowed.err).toMatch(/dead letters: 3 of 4 records/);

    const strict = await vigil(['run', '--input', 'in.ndjson', '--format', 'ndjson', '--max-dead-letters', '0.1', '--dead-letter', 'dlq.ndjson'], dir);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/; written to dlq\.ndjson/);
    expect(readFileSync(join(dir, 'dlq.ndjson'), 'utf8').trim().split('\n')).toHaveLength(3);

    const bad = await vigil(['run', '--input', 'in.ndjson', '--max-dead-letters', '2'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--max-dead-letters must be a share between 0 and 1/);
  });

  it('counts a late record once, apart from the operators that refused it', async () => {
    // The sample, then one of its early captures again, arriving at the end (a camera's resent record): late.
    const lines = readFileSync(sample, 'utf8').split('\n').filter(Boolean);
    const resent = JSON.stringify({ ...(JSON.parse(lines[100] as string) as object), id: 'resent-1' });
    const dir = tempDir({ 'in.ndjson': [...lines, resent].join('\n') + '\n' });
    const r = await vigil(['run', '--input', 'in.ndjson', '--known-vehicles', sampleTruth, '--format', 'ndjson', '--late', 'late.ndjson'], dir);
    expect(r.code).toBe(0);
    const m = /vigil run: late: (\d+) records?, refused (\d+) times? by (\d+) operators? \(([^)]*)\); written to late\.ndjson/.exec(r.err);
    expect(m).not.toBeNull();
    const [records, refusals, operators] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    // The late capture is late for several operators, counted once by its id; the segment-speed projection it fed
    // is a record of its own (no id): two records, more refusals.
    expect(records).toBe(2);
    expect(refusals).toBeGreaterThan(records);
    expect(operators).toBe(refusals);
    expect(r.err).toMatch(/1,915 records \(0 dead letters, 2 late\)/);
  });

  it('warns when no rule is enabled', async () => {
    const rules = tempDir({ 'off.yaml': readFileSync(join(root, 'rules', 'cloned-plate.yaml'), 'utf8').replace(/^enabled: true$/m, '') + 'enabled: false\n' });
    const dir = tempDir({ 'in.ndjson': rec('r1', 'CP0001', base) + '\n' });
    const r = await vigil(['run', '--input', 'in.ndjson', '--rules', rules, '--format', 'ndjson'], dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^vigil run: warning: no rule is enabled \(1 rule file, all with enabled: false under .*\): no alert can come out$/m);
    const empty = await vigil(['run', '--input', 'in.ndjson', '--rules', tempDir(), '--format', 'ndjson'], dir);
    expect(empty.err).toMatch(/warning: no rule is enabled \(no rule files/);
  });
});

describe('vigil run output for a person and for a program', () => {
  it('shows a report per rule with local times on a terminal, and NDJSON in a pipe', async () => {
    const tty = { ...captureIo(tempDir()), stdoutIsTerminal: true };
    const out: string[] = [];
    const io = { ...tty, stdout: (t: string) => void out.push(t), stderr: () => {} };
    expect(await main(['run', '--input', sample, '--known-vehicles', sampleTruth, '--time-zone', '+08:00'], io)).toBe(0);
    const report = out.join('');
    expect(report).toMatch(/^Alerts from .*sample-traffic\.ndjson, times in UTC\+08:00/);
    // Every enabled rule has a row, those without alerts too.
    for (const rule of ['cloned-plate', 'first-entry', 'sudden-flow', 'sudden-congestion'])
      expect(report).toMatch(new RegExp(`^  ${rule}\\s+\\w+\\s+\\d+`, 'm'));
    // The sample is 07:45-08:05 city time: alert rows show city time, not UTC.
    expect(report).toMatch(/^ {2}2026-03-02 0[78]:\d\d:\d\d {2}cloned-plate/m);
    expect(report).toMatch(/^Next:/m);

    const piped = await vigil(['run', '--input', sample, '--known-vehicles', sampleTruth]);
    const alerts = piped.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string });
    expect(alerts.map((a) => a.rule)).toContain('cloned-plate');
    // The report and the NDJSON tell the same count.
    expect(report).toMatch(new RegExp(`^  cloned-plate\\s+high\\s+${alerts.filter((a) => a.rule === 'cloned-plate').length}\\s`, 'm'));
  });

  it('refuses --format table with --out or --stream, and an unknown time zone', async () => {
    const a = await vigil(['run', '--input', sample, '--format', 'table', '--out', 'x.ndjson'], tempDir());
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/--format table shows the alerts on stdout/);
    const b = await vigil(['run', '--input', sample, '--format', 'csv']);
    expect(b.err).toMatch(/--format must be table or ndjson/);
    const c = await vigil(['run', '--input', sample, '--time-zone', 'Mars/Olympus']);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/--time-zone Mars\/Olympus: not a time zone/);
  });

  it('parses time zones as offsets and IANA names', () => {
    const t = Date.parse('2026-03-02T00:30:00Z');
    expect(parseTimeZone('+08:00').format(t)).toBe('2026-03-02 08:30:00');
    expect(parseTimeZone('-0530').format(t)).toBe('2026-03-01 19:00:00');
    expect(parseTimeZone('UTC').format(t)).toBe('2026-03-02 00:30:00');
    expect(parseTimeZone('Asia/Shanghai').format(t)).toBe('2026-03-02 08:30:00');
    expect(parseTimeZone('+8').label).toBe('UTC+08:00');
  });

  it('draws progress only when stderr is a terminal', () => {
    expect(terminalProgress({ ...captureIo(), stderrIsTerminal: false }, 'x', sample)).toBeUndefined();
    const io = { ...captureIo(), stderrIsTerminal: true };
    let err = '';
    const p = terminalProgress({ ...io, stderr: (t: string) => void (err += t) }, 'vigil run', sample);
    expect(p).toBeDefined();
    p?.update({ records: 10, bytes: 100 });
    // A short run draws nothing, and clears nothing.
    p?.done();
    expect(err).toBe('');
  });
});

describe('vigil match loads what its pattern reads', () => {
  it('runs a shipped pattern file alone: the feed comes from its folder, records are validated, the clone is found', async () => {
    const r = await vigil(['match', '--pattern', join(root, 'patterns', 'cloned-plate.pattern'), '--input', sample]);
    expect(r.code).toBe(0);
    const outs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pattern: string; match?: Record<string, Array<{ plate: string; plate_readable?: boolean }>> });
    const matches = outs.filter((o) => o.match !== undefined);
    // One clone, matched at each switch between its two cars (suspected at the first, confirmed at the second).
    expect([...new Set(matches.map((m) => m.match?.['a']?.[0]?.plate))]).toEqual(['浙A04C70']);
    // Validated: normalised records carry plate_readable.
    expect(matches[0]?.match?.['a']?.[0]?.plate_readable).toBe(true);
  });

  it('looks sources up in --patterns DIR, takes several --pattern files, and dead-letters invalid traffic records', async () => {
    const lib = join(root, 'patterns');
    const mine = tempDir({
      'a.pattern': 'pattern fast\n  from passes\n  key by checkpoint\n  define f as speed > 100\n  match f\n',
      'b.pattern': 'pattern slow\n  from passes\n  key by checkpoint\n  define s as speed < 5\n  match s\n',
      'in.ndjson':
        [rec('r1', 'CP0001', base, { speed: 120 }), rec('r2', 'CP0001', base + 1000, { speed: 2 }), rec('r3', 'CP9999', base + 2000)].join('\n') + '\n',
    });
    const alone = await vigil(['match', '--pattern', 'a.pattern', '--input', 'in.ndjson'], mine);
    expect(alone.code).toBe(1);
    expect(alone.err).toMatch(/a\.pattern:2:8: .*passes/);

    const r = await vigil(['match', '--pattern', 'a.pattern', '--pattern', 'b.pattern', '--patterns', lib, '--input', 'in.ndjson'], mine);
    expect(r.code).toBe(0);
    const outs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pattern: string });
    // Both --pattern files ran (a repeated flag does not drop the first).
    expect(outs.map((o) => o.pattern).sort()).toEqual(['fast', 'slow']);
    expect(r.err).toMatch(/vigil match: dead letters: 1 of 3 records \(33\.3%\): unknown_checkpoint 1\n/);
  });

  it("takes a `passes` source of the user's own as open: JSON events as they come, not traffic records", async () => {
    const dir = tempDir({
      'own.pattern': 'source passes\n  event time ts\n\npattern any_event\n  from passes\n  key by k\n  match x\n',
      'in.ndjson': '{"k":"a","ts":1}\n',
    });
    const r = await vigil(['match', '--pattern', 'own.pattern', '--input', 'in.ndjson'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"pattern":"any_event","match":{"x":[{"k":"a","ts":1}]}}\n');
    expect(r.err).toMatch(/\(0 dead letters, 0 late\)/);
  });

  it('leaves a folder neighbour that does not parse alone when nothing needs it', async () => {
    const dir = tempDir({
      'ok.pattern': 'source ev\n  event time ts\n\npattern one\n  from ev\n  key by k\n  match x\n',
      'broken.pattern': 'source\n',
      'in.ndjson': '{"k":"a","ts":1}\n',
    });
    const r = await vigil(['match', '--pattern', 'ok.pattern', '--input', 'in.ndjson'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"pattern":"one","match":{"x":[{"k":"a","ts":1}]}}\n');
  });
});

describe('vigil test with a YAML alias bomb', () => {
  it("is the file's error (exit 1, file:line:col), not an internal error", async () => {
    const chain = ['- &a {v: [1,2,3,4,5,6,7,8,9]}'];
    for (const [x, y] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ])
      chain.push(`- &${x} {v: [${Array(9).fill(`*${y}`).join(',')}]}`);
    const dir = tempDir({
      'bomb.test.yaml': `pattern: p\ntests:\n  - name: x\n    input:\n${chain.map((l) => `      ${l}`).join('\n')}\n    expect: { matches: *g }\n`,
    });
    const r = await vigil(['test', 'bomb.test.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bomb\.test\.yaml:\d+:\d+: too many aliases/m);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });
});

describe('the README quick start', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  it('is two commands, and npm install builds (prepare) so npx vigil works at once', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(
      block
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('#')[0]?.trim()),
    ).toEqual(['npm install && npm start', 'npm test']);
    expect(pkg.scripts['prepare']).toMatch(/^node scripts\/build\.js\b/);
    expect(pkg.scripts['pretest']).toMatch(/^node scripts\/build\.js\b/);
  });

  it('npm start serves the dashboard over the bundled recording (test/dashboard drives it in a browser)', () => {
    expect(pkg.scripts['start']).toBe('node scripts/build.js && node bin/vigil.js demo');
  });

  it('npm run replay (the former npm start) shows a person the report, and a pipe NDJSON', async () => {
    // The script: build, then one vigil command (no nested npm run, whose banners would reach stdout).
    const [build, command, ...rest] = (pkg.scripts['replay'] ?? '').split(' && ');
    expect(build).toBe('node scripts/build.js');
    expect(rest).toEqual([]);
    expect(command).toMatch(/^node bin\/vigil\.js run /);
    const args = (command ?? '').split(/\s+/).slice(2);
    let out = '';
    let err = '';
    const io = { ...captureIo(root), stdoutIsTerminal: true, stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    expect(await main(args, io)).toBe(0);
    expect(out).toMatch(/^Alerts from fixtures\/sample-traffic\.ndjson, times in UTC\+08:00\n/);
    expect(out).toMatch(/^ {2}cloned-plate\s+high\s+1\s/m);
    expect(err).toMatch(/^vigil run: 1,914 records \(0 dead letters, 0 late\) -> 2 alerts/m);
    const piped = await vigil(args, root);
    expect(piped.code).toBe(0);
    expect(
      piped.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { rule: string }).rule)
        .sort(),
    ).toEqual(['cloned-plate', 'first-entry']);
  });
});
