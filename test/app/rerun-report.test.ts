/**
 * The re-run's parts without the service: the city's days, the input put in event-time order (on disk, a run at a
 * time, as the stable in-memory sort would), the day's final results whatever the sort's run size, and the
 * live-to-final comparison.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dayOf, dayRange, isDay } from '../../src/app/days.js';
import { computeFinal, diffDay, finalDay, formatDayReport, lineTime, sortDayInput } from '../../src/app/rerun.js';
import type { Alert } from '../../src/dsl/index.js';
import { RERUN_PATTERNS } from '../rerun/rerun-patterns.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-test-rerun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the re-run sorted in memory before (the whole file at once): the reference for the sort on disk. */
function inEventTimeOrder(lines: readonly string[]): string[] {
  return lines
    .map((line, i) => ({ line, i, t: lineTime(line) }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i))
    .map((k) => k.line);
}

const alert = (id: string, eventTime: number): Alert => ({
  id,
  rule: 'r',
  pattern: 'p',
  severity: 'low',
  key: id,
  event_time: eventTime,
  detected_at: 0,
  payload: null,
  evidence: {},
});

describe('days of the city', () => {
  it('runs from local midnight to local midnight', () => {
    expect(dayRange('2026-03-03', 'Asia/Shanghai')).toEqual({ from: Date.parse('2026-03-02T16:00:00Z'), to: Date.parse('2026-03-03T16:00:00Z') });
    expect(dayRange('2026-03-03', '+05:30')).toEqual({ from: Date.parse('2026-03-02T18:30:00Z'), to: Date.parse('2026-03-03T18:30:00Z') });
    // Berlin moves its clocks forward on 2026-03-29 at 02:00: that day has 23 hours.
    const spring = dayRange('2026-03-29', 'Europe/Berlin');
    expect(spring).toEqual({ from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') });
    expect(dayOf(Date.parse('2026-03-02T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dayOf(Date.parse('2026-03-02T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-03');
  });

  it('takes only real dates', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-3-1')).toBe(false);
    expect(() => dayRange('yesterday', 'UTC')).toThrow(/YYYY-MM-DD/);
  });
});

describe('the re-run', () => {
  it('orders the input by event time, stably, lines without a time first, blank lines left out', async () => {
    const lines = ['{"id":"a","ts":3000}', '{"id":"b","ts":"1970-01-01T00:00:01Z"}', 'not json', '  ', '{"id":"c","ts":1000}', '{"id":"d"}'];
    const input = join(dir, 'small.ndjson');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const out = join(dir, 'small-sorted.ndjson');
    await sortDayInput(input, out, dir, 2);
    expect(readFileSync(out, 'utf8')).toBe(
      `${['not json', '{"id":"d"}', '{"id":"b","ts":"1970-01-01T00:00:01Z"}', '{"id":"c","ts":1000}', '{"id":"a","ts":3000}'].join('\n')}\n`,
    );
  });

  it('sorts a day on disk as it did in memory: runs out of order, ties across runs in file order, bytes as read', async () => {
    // 300 records of 7 instants, in no order, each with a non-ASCII plate; a run holds 16.
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(JSON.stringify({ id: `r${i}`, plate: `浙A${i}`, ts: 1000 * ((i * 37) % 7) }));
    lines.splice(150, 0, '{"id":"broken"', '{"id":"no-ts"}');
    const input = join(dir, 'ties.ndjson');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const out = join(dir, 'ties-sorted.ndjson');
    const stats = await sortDayInput(input, out, dir, 16);
    expect(stats.runs).toBe(19);
    expect(stats.maxHeld).toBe(16);
    const latin1 = readFileSync(input, 'latin1').trimEnd().split('\n');
    expect(readFileSync(out).equals(Buffer.from(`${inEventTimeOrder(latin1).join('\n')}\n`, 'latin1'))).toBe(true);
  });

  it('lists the alerts added and withdrawn by id in event-time order and the checkpoints whose flow changed', () => {
    const live = {
      alertsComplete: true,
      alerts: [alert('x', 30), alert('w2', 20), alert('w1', 10)],
      flow: new Map([
        ['A', 10],
        ['B', 4],
        ['C', 7],
      ]),
    };
    const final = {
      alerts: [alert('a2', 25), alert('x', 30), alert('a1', 5)],
      flow: new Map([
        ['A', 10],
        ['B', 9],
        ['D', 1],
      ]),
    };
    expect(diffDay(live, final, 'flow_1m')).toEqual({
      alerts: { live: 3, final: 3, added: ['a1', 'a2'], withdrawn: ['w1', 'w2'], unchanged: 1, liveComplete: true },
      flow: {
        stream: 'flow_1m',
        liveRecorded: true,
        liveTotal: 21,
        finalTotal: 20,
        corrected: [
          { checkpoint: 'B', live: 4, final: 9 },
          { checkpoint: 'C', live: 7, final: 0 },
          { checkpoint: 'D', live: 0, final: 1 },
        ],
      },
    });
  });

  it('says so when the service recorded no live flow: every checkpoint is a correction from unknown', () => {
    const report = diffDay({ alerts: [], alertsComplete: true, flow: null }, { alerts: [], flow: new Map([['A', 3]]) }, 'flow_1m');
    expect(report.flow).toEqual({
      stream: 'flow_1m',
      liveRecorded: false,
      liveTotal: null,
      finalTotal: 3,
      corrected: [{ checkpoint: 'A', live: null, final: 3 }],
    });
  });
});

describe('the day re-run, whatever the sort run size', () => {
  it('gives the same final alerts and flow with runs of 5 lines as with one run, and names an incomplete live side', async () => {
    // 24 vehicles 10 minutes apart on 2026-03-03 (UTC), each at CP0001 then CP0002 two minutes later (every third
    // speeding there); CP0002's sightings from 01:00 to 03:00 come at the end of the file, as a flushed backlog.
    const at = (i: number, b: boolean): number => Date.parse('2026-03-03T00:00:00Z') + i * 600_000 + (b ? 120_000 : 0);
    const rec = (i: number, b: boolean): string =>
      JSON.stringify({
        id: `v${i}-${b ? 'b' : 'a'}`,
        plate: `浙A${10_000 + i}`,
        plate_color: 'blue',
        vehicle_type: 'car',
        checkpoint: b ? 'CP0002' : 'CP0001',
        lane: 1,
        direction: 'in',
        speed: b && i % 3 === 0 ? 130 : 60,
        ts: at(i, b),
      });
    const onTime: string[] = [];
    const held: string[] = [];
    for (let i = 0; i < 24; i++) {
      onTime.push(rec(i, false));
      const t = at(i, true);
      (t >= Date.parse('2026-03-03T01:00:00Z') && t < Date.parse('2026-03-03T03:00:00Z') ? held : onTime).push(rec(i, true));
    }
    const root = join(dir, 'day');
    mkdirSync(join(root, 'patterns'), { recursive: true });
    mkdirSync(join(root, 'rules'));
    writeFileSync(join(root, 'patterns', 'day.pattern'), RERUN_PATTERNS);
    for (const [id, pattern] of [
      ['speeding', 'speeding'],
      ['missed-b', 'missed_b'],
    ]) {
      writeFileSync(join(root, 'rules', `${id}.yaml`), `id: ${id}\npattern: ${pattern}\nseverity: medium\nenabled: true\nroutes:\n  - kafka: t\n`);
    }
    writeFileSync(join(root, 'day.ndjson'), `${[...onTime, ...held].join('\n')}\n`);
    const options = {
      cwd: process.cwd(),
      input: join(root, 'day.ndjson'),
      day: '2026-03-03',
      zone: 'UTC',
      patterns: join(root, 'patterns'),
      rules: join(root, 'rules'),
    };
    const quiet = (): void => undefined;
    const small = await computeFinal({ ...options, sortRunLines: 5 }, quiet);
    const whole = await computeFinal(options, quiet);
    expect(small.sort).toEqual({ lines: 48, runs: 10, maxHeld: 5, passes: 0 });
    expect(whole.sort.runs).toBe(1);
    // detected_at is the wall clock: the rest of each alert is the same.
    const stable = (alerts: readonly Alert[]): unknown[] => alerts.map(({ detected_at: _, ...a }) => a);
    expect(stable(small.alerts)).toEqual(stable(whole.alerts));
    expect(small.alerts.map((a) => `${a.rule} ${(a.payload as { plate: string }).plate}`)).toEqual(
      [0, 3, 6, 9, 12, 15, 18, 21].map((i) => `speeding 浙A${10_000 + i}`),
    );
    expect(Object.fromEntries(small.flow)).toEqual({ CP0001: 24, CP0002: 24 });
    expect(small.flow).toEqual(whole.flow);

    // A live side from the capped history only: the report says it is incomplete.
    const final = finalDay(options, small, { alerts: small.alerts.slice(0, 2), alertsComplete: false, flow: null }, 0);
    expect(final.report.alerts).toMatchObject({ live: 2, final: 8, liveComplete: false });
    expect(formatDayReport(final, new Map())).toContain("live alerts: only those the service's capped alert history still holds");
    const complete = finalDay(options, small, { alerts: small.alerts, alertsComplete: true, flow: null }, 0);
    expect(formatDayReport(complete, new Map())).not.toContain('capped alert history');
  }, 60_000);
});
