/** The embedded service's parts: stream rings, the in-memory alert history, the paced replay and the sightings index. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryAlertHistory } from '../../src/app/live/memory-alert-history.js';
import { arrivalTimes, PacedSource, readNdjsonLines } from '../../src/app/live/paced-source.js';
import { StreamRings } from '../../src/app/live/stream-rings.js';
import { VehicleSightings } from '../../src/app/live/vehicle-sightings.js';
import type { Alert } from '../../src/dsl/index.js';

describe('StreamRings', () => {
  it('keeps the newest records per stream, numbered, and tells a reader what it missed', () => {
    const rings = new StreamRings(['a'], 3);
    const seen: number[] = [];
    const stop = rings.follow('a', (e) => seen.push(e.seq));
    for (let i = 1; i <= 5; i++) rings.sink('a').write({ i }, i * 10);
    stop();
    rings.sink('a').write({ i: 6 }, 60);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const slice = rings.since('a', 0, 100);
    expect(slice.entries.map((e) => [e.seq, e.time, e.record['i']])).toEqual([
      [4, 40, 4],
      [5, 50, 5],
      [6, 60, 6],
    ]);
    expect(slice).toMatchObject({ last: 6, missed: 3 });
    expect(rings.since('a', 5, 100)).toMatchObject({ last: 6, missed: 0 });
    expect(rings.since('a', 6, 100)).toEqual({ entries: [], last: 6, missed: 0 });
    expect(() => rings.since('b', 0, 1)).toThrow(/no such stream/);
    expect(() => new StreamRings(['a'], 0)).toThrow(RangeError);
  });
});

const alert = (i: number, rule = 'r'): Alert => ({
  id: `id-${i}`,
  rule,
  pattern: 'p',
  severity: 'high',
  key: `k${i % 2}`,
  event_time: i * 1000,
  detected_at: i * 1000 + 5,
  payload: {},
  evidence: {},
});

describe('MemoryAlertHistory', () => {
  it('keeps each alert id once, pages newest first with cursors, forgets past its capacity', async () => {
    const h = new MemoryAlertHistory(4);
    for (const i of [1, 2, 2, 3, 4, 5]) h.write(alert(i));
    expect(h.size).toBe(4);
    const first = await h.page({}, { limit: 3 });
    expect(first.alerts.map((e) => [e.id, e.alert.id])).toEqual([
      ['5-0', 'id-5'],
      ['4-0', 'id-4'],
      ['3-0', 'id-3'],
    ]);
    expect(first.next).toBe('3-0');
    const second = await h.page({}, { limit: 3, before: first.next as string });
    expect(second.alerts.map((e) => e.alert.id)).toEqual(['id-2']);
    expect(second.next).toBeNull();
    expect((await h.page({ key: 'k1' }, { limit: 10 })).alerts.map((e) => e.alert.id)).toEqual(['id-5', 'id-3']);
  });

  it('follows: what came after the given id, then live ones matching the filter, until stopped', async () => {
    const h = new MemoryAlertHistory();
    for (const i of [1, 2, 3]) h.write(alert(i));
    const got: string[] = [];
    const f = h.follow('1-0', { rule: 'r' }, (e) => got.push(e.alert.id));
    await f.ready;
    h.write(alert(4));
    h.write(alert(5, 'other'));
    f.stop();
    h.write(alert(6));
    expect(got).toEqual(['id-2', 'id-3', 'id-4']);
    const fromStart: string[] = [];
    h.follow('0-0', {}, (e) => fromStart.push(e.alert.id)).stop();
    expect(fromStart).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5', 'id-6']);
  });
});

describe('PacedSource', () => {
  const line = (ts: number, id: string) => JSON.stringify({ id, ts });

  it('releases the records of a minute of the recording over 60 / pace seconds of wall time', async () => {
    let now = 1_000;
    const lines = [line(0, 'a'), line(30_000, 'b'), line(60_000, 'c'), line(120_000, 'd')];
    const source = new PacedSource('rec', lines, { pace: 60, now: () => now });
    const batch = await source.poll();
    expect(batch).toMatchObject({ records: [lines[0]], firstOffset: 0 });
    expect(await source.poll()).toBe('idle');
    now += 500; // 30 s of recording
    expect(await source.poll()).toMatchObject({ records: [lines[1]], firstOffset: 1 });
    now += 1_500; // 2 minutes in
    expect(await source.poll()).toMatchObject({ records: [lines[2], lines[3]], firstOffset: 2 });
    expect(source.replayTime()).toBe(120_000);
    expect(await source.poll()).toMatchObject({ records: [], endOfPartition: true });
    expect(await source.poll()).toBe('end');
    expect(() => new PacedSource('rec', lines, { pace: 0 })).toThrow(/--pace/);
  });

  it('does not let a camera clock running fast hold back the records after it', () => {
    const times = arrivalTimes([line(0, 'a'), line(120_000, 'fast'), line(1_000, 'b'), '{"no":"ts"}', line(2_000, 'c')]);
    expect([...times]).toEqual([0, 1_000, 1_000, 2_000, 2_000]);
    // A real gap stays one: the records after it agree on their time.
    expect([...arrivalTimes([line(0, 'a'), line(600_000, 'b'), line(600_500, 'c')])]).toEqual([0, 600_000, 600_500]);
  });

  it('reads a gzip file as it is, and a plain one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-paced-'));
    const text = `${line(0, 'a')}\n\n${line(1, '浙A1')}\n`;
    writeFileSync(join(dir, 'r.ndjson.gz'), gzipSync(text));
    writeFileSync(join(dir, 'r.ndjson'), text);
    const gz = readNdjsonLines(join(dir, 'r.ndjson.gz'));
    expect(gz).toEqual(readNdjsonLines(join(dir, 'r.ndjson')));
    expect(gz).toHaveLength(2);
    // Byte lines: latin1 strings, one char per byte, as the job's parsers take them.
    expect(Buffer.from(gz[1] as string, 'latin1').toString('utf8')).toBe(line(1, '浙A1'));
    expect(() => readNdjsonLines(join(dir, 'missing.ndjson'))).toThrow(/cannot read/);
  });
});

describe('VehicleSightings', () => {
  it("keeps each plate's latest sightings, forgets the vehicles seen least recently", () => {
    const v = new VehicleSightings(2, 2);
    v.write({ plate: 'A', checkpoint: 'C1', ts: 3 });
    v.write({ plate: 'A', checkpoint: 'C2', ts: 1 });
    v.write({ plate: 'A', checkpoint: 'C3', ts: 2 });
    v.write({ plate: 'B', checkpoint: 'C1', ts: 1 });
    v.write({ plate: 'A', checkpoint: 'C4', ts: 4 }); // A seen again: B is now the least recent
    v.write({ plate: 'C', checkpoint: 'C1', ts: 5 });
    v.write({ plate: 'D', checkpoint: 'C1' }); // no ts: ignored
    expect(v.sightingsNow('a').map((s) => [s.checkpoint, s.ts])).toEqual([
      ['C3', 2],
      ['C4', 4],
    ]);
    expect(v.sightingsNow('B')).toEqual([]);
    expect(v.sightingsNow('C')).toHaveLength(1);
    expect(v.vehicles).toBe(2);
  });

  it('takes the gap from trajectory_steps, and an update replaces the capture it updates', () => {
    const v = new VehicleSightings();
    v.write({ id: 'x1', plate: 'A', checkpoint: 'C1', ts: 1000, gap: null });
    v.write({ id: 'x3', plate: 'A', checkpoint: 'C3', ts: 5000, gap: 4000 });
    // A backlog: x2 came between them; x3 is emitted again with its new gap.
    v.write({ id: 'x2', plate: 'A', checkpoint: 'C2', ts: 2000, gap: 1000 });
    v.write({ id: 'x3', plate: 'A', checkpoint: 'C3', ts: 5000, gap: 3000, update: true });
    expect(v.sightingsNow('A').map((s) => [s.checkpoint, s.gap])).toEqual([
      ['C1', null],
      ['C2', 1000],
      ['C3', 3000],
    ]);
  });
});
