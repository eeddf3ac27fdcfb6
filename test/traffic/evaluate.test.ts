import { describe, expect, it } from 'vitest';
import { type Detection, evaluate, formatEvaluation } from '../../src/traffic/evaluate.js';
import type { GroundTruth } from '../../src/traffic/generator/index.js';

const MIN = 60_000;
const truth: GroundTruth = {
  generator: { seed: 's', start: 0, end: 120 * MIN, minutes: 120, scale: 1, anomalies: true, version: 1 },
  counts: { records: 0, misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, dropped_by_flow_drop: 0, late_backlog: 0 },
  anomalies: [
    {
      type: 'cloned_plate',
      key: '浙A1|blue',
      plate: '浙A1',
      plate_color: 'blue',
      from: 10 * MIN,
      to: 15 * MIN,
      checkpoints: ['CP1', 'CP9'],
      min_distance_km: 8,
      records: [['r1'], ['r2']],
      impossible_pairs: 2,
      provable_at: 11 * MIN,
    },
    {
      type: 'cloned_plate',
      key: '浙A2|blue',
      plate: '浙A2',
      plate_color: 'blue',
      from: 50 * MIN,
      to: 52 * MIN,
      checkpoints: ['CP2', 'CP8'],
      min_distance_km: 9,
      records: [['r3'], ['r4']],
      impossible_pairs: 2,
      provable_at: 51 * MIN,
    },
    { type: 'flow_surge', key: 'CP5', checkpoint: 'CP5', from: 30 * MIN, to: 40 * MIN, factor: 4, baseline_per_min: 50 },
    { type: 'flow_drop', key: 'CP8', checkpoint: 'CP8', from: 70 * MIN, to: 75 * MIN, factor: 0.15, baseline_per_min: 50 },
    {
      type: 'congestion',
      key: 'SEG1',
      segment: 'SEG1',
      checkpoints: ['CP6', 'CP7'],
      downstream_checkpoints: ['CP8'],
      from: 60 * MIN,
      to: 80 * MIN,
      speed_kmh: 10,
      free_flow_kmh: 60,
    },
    {
      type: 'first_entry',
      key: '浙B9|green',
      plate: '浙B9',
      plate_color: 'green',
      checkpoint: 'CP1',
      from: 5 * MIN,
      to: 5 * MIN,
      same_number_other_color: false,
      record: 'r0',
    },
  ],
  noise: {
    skewed_cameras: [{ checkpoint: 'CP3', skew_ms: 90_000 }],
    outages: [{ checkpoint: 'CP4', from: 20 * MIN, to: 90 * MIN, flushed_at: 90 * MIN, records: 100 }],
    misreads: [{ id: 'r7', plate: '浙A7', plate_color: 'blue', read_as: '浙A1', checkpoint: 'CP3', ts: 100 * MIN, collides: true }],
    duplicates: [],
  },
  known_vehicles: [],
};

describe('evaluate', () => {
  it('scores precision and recall per type and explains false alarms', () => {
    const detections: Detection[] = [
      { type: 'cloned_plate', key: '浙A1|blue', time: 12 * MIN }, // finds the first clone
      { type: 'cloned_plate', key: '浙A1|blue', time: 14 * MIN }, // a second alert for it: still a true alert
      { type: 'cloned_plate', key: '浙A1|yellow', time: 12 * MIN }, // other colour: another vehicle
      { type: 'cloned_plate', key: '浙A1|blue', time: 100 * MIN, checkpoints: ['CP3'] }, // misread of 浙A7
      { type: 'flow_surge', key: 'CP5', time: 45 * MIN }, // within the after-tolerance
      { type: 'flow_drop', key: 'CP4', time: 25 * MIN }, // the camera is down: an outage
      { type: 'congestion', key: 'SEG1', time: 59 * MIN },
      { type: 'first_entry', key: '浙B9|green', time: 5 * MIN - 60_000 }, // skewed stamp
      { type: 'first_entry', key: '浙C1|blue', time: 5 * MIN, checkpoints: ['CP3'] },
      { type: 'flow_drop', key: 'CP7', time: 70 * MIN }, // the jam cuts flow past its own camera
      { type: 'flow_surge', key: 'CP6', time: 95 * MIN }, // and releases a burst when it clears
      { type: 'flow_surge', key: 'CP6', time: 111 * MIN }, // too long after: a false alarm
      { type: 'flow_surge', key: 'CP8', time: 82 * MIN }, // the released queue reaches the next road
      { type: 'flow_drop', key: 'CP8', time: 74 * MIN }, // a real drop downstream of the jam is still found
    ];
    const e = evaluate(detections, truth);
    expect(e.byType.cloned_plate).toMatchObject({ detections: 4, truePositives: 2, falsePositives: 2, anomalies: 2, found: 1, precision: 0.5, recall: 0.5 });
    expect(e.byType.flow_surge).toMatchObject({ detections: 2, precision: 0.5, recall: 1 });
    expect(e.secondary.map((d) => d.key)).toEqual(['CP7', 'CP6', 'CP8']);
    expect(e.byType.flow_drop).toMatchObject({ detections: 2, truePositives: 1, precision: 0.5, recall: 1, anomalies: 1 });
    expect(e.byType.congestion).toMatchObject({ precision: 1, recall: 1 });
    expect(e.byType.first_entry).toMatchObject({ detections: 2, truePositives: 1, precision: 0.5, recall: 1 });
    expect(e.missed.map((a) => a.key)).toEqual(['浙A2|blue']);
    expect(e.falseAlarms.map((f) => [f.detection.key, f.cause])).toEqual([
      ['浙A1|yellow', 'unexplained'],
      ['浙A1|blue', 'misread'],
      ['CP4', 'outage'],
      ['浙C1|blue', 'skew'],
      ['CP6', 'unexplained'],
    ]);
    expect(formatEvaluation(e)).toContain('| cloned_plate | 2 | 4 | 2 | 0.500 | 0.500 |');
  });

  it('refuses detections outside the tolerance, and takes custom tolerances', () => {
    const late: Detection[] = [{ type: 'congestion', key: 'SEG1', time: 80 * MIN + 16 * MIN }];
    expect(evaluate(late, truth).byType.congestion.recall).toBe(0);
    expect(evaluate(late, truth, { congestion: { beforeMs: 0, afterMs: 20 * MIN } }).byType.congestion.recall).toBe(1);
  });

  it('with no detections precision is 1 and recall 0', () => {
    const e = evaluate([], truth);
    expect(e.byType.cloned_plate).toMatchObject({ precision: 1, recall: 0 });
    expect(e.missed).toHaveLength(6);
  });
});
