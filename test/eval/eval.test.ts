import { describe, expect, it } from 'vitest';
import { detectionOf, formatReport, passes } from '../../src/cli/commands/eval.js';
import { evaluate } from '../../src/traffic/evaluate.js';
import type { GroundTruth } from '../../src/traffic/generator/truth.js';

const MIN = 60_000;

function truth(anomalies: GroundTruth['anomalies']): GroundTruth {
  return {
    generator: { seed: '1', start: 0, end: 60 * MIN, minutes: 60, scale: 1, anomalies: true, version: 1 },
    counts: { records: 0, misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, dropped_by_flow_drop: 0, late_backlog: 0 },
    anomalies,
    noise: {
      skewed_cameras: [],
      outages: [],
      misreads: [{ id: 'r9', plate: '浙A1', plate_color: 'blue', read_as: '浙A7', checkpoint: 'CP0001', ts: 0, collides: false }],
      duplicates: [],
    },
    known_vehicles: [],
  };
}

describe('detectionOf', () => {
  it('maps each shipped rule to its anomaly type and key', () => {
    expect(detectionOf({ rule: 'cloned-plate', event_time: 5, payload: { plate: '浙A1', plate_color: 'blue', first: 'CP1', second: 'CP2' } })).toEqual({
      type: 'cloned_plate',
      key: '浙A1|blue',
      time: 5,
      checkpoints: ['CP1', 'CP2'],
    });
    expect(detectionOf({ rule: 'first-entry', event_time: 5, payload: { plate: '浙A1', plate_color: 'green', checkpoint: 'CP1' } })?.key).toBe('浙A1|green');
    expect(detectionOf({ rule: 'sudden-flow', event_time: 5, payload: { checkpoint: 'CP3', direction: 'drop' } })?.type).toBe('flow_drop');
    expect(detectionOf({ rule: 'sudden-flow', event_time: 5, payload: { checkpoint: 'CP3', direction: 'surge' } })?.type).toBe('flow_surge');
    expect(detectionOf({ rule: 'sudden-congestion', event_time: 5, payload: { segment: 'SEG1' } })).toEqual({ type: 'congestion', key: 'SEG1', time: 5 });
    expect(detectionOf({ rule: 'something-else', payload: {} })).toBeNull();
    expect(detectionOf(null)).toBeNull();
  });
});

describe('the gate and the table', () => {
  const t = truth([
    {
      type: 'congestion',
      key: 'SEG1',
      segment: 'SEG1',
      from: 10 * MIN,
      to: 20 * MIN,
      checkpoints: ['CP1'],
      downstream_checkpoints: [],
      speed_kmh: 10,
      free_flow_kmh: 60,
    },
  ]);

  it('passes when every type reaches the minimum, fails on a false alarm', () => {
    const found = evaluate([{ type: 'congestion', key: 'SEG1', time: 14 * MIN }], t);
    expect(passes(found, 0.95)).toBe(true);
    const misread = evaluate(
      [
        { type: 'congestion', key: 'SEG1', time: 14 * MIN },
        { type: 'first_entry', key: '浙A7|blue', time: MIN },
      ],
      t,
    );
    expect(passes(misread, 0.95)).toBe(false);
    const report = formatReport(misread, { records: 1000, seconds: 2, rate: '500' }, 'test', 0.95);
    expect(report).toMatch(/first_entry\s+0\s+1\s+0\s+1\s+0\s+0\.000\s+1\.000 {2}< 0\.95/);
    expect(report).toContain('false alarms by cause: misread 1, skew 0, outage 0, unexplained 0');
    expect(report).toContain('(500 records/s)');
  });

  it('fails on a missed anomaly', () => {
    expect(passes(evaluate([], t), 0.95)).toBe(false);
  });
});
