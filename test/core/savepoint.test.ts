import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  count,
  type DataStream,
  decodeCheckpointBytes,
  encodeCheckpoint,
  encodeCheckpointBytes,
  OperatorStateError,
  readSavepoint,
  tumbling,
  writeSavepoint,
} from '../../src/core/index.js';
import { type Ev, ev, makeJob, runJob } from './harness.js';

const flows = (s: DataStream<Ev>) =>
  s.keyBy((e) => e.k).window('flow', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => `${String(f.key)}[${f.window.start}]=${f.result}` });

describe('savepoints', () => {
  const lines = [ev('a', 1), ev('b', 2), ev('a', 12), ev('a', 3), ev('b', 25), ev('a', 31)];

  it('writes a checkpoint to a path and restores a new job from it, with the same output as one uninterrupted run', async () => {
    const whole = await runJob(lines, flows, { bound: 10, batchSize: 2 });
    const first = makeJob([lines], flows, { bound: 10, batchSize: 2 });
    await first.task.step();
    await first.task.step();
    const path = join(mkdtempSync(join(tmpdir(), 'vigil-sp-')), 'savepoints', 'sp-1.json');
    await writeSavepoint(path, first.task.snapshot());
    // Watermarks start at -Infinity: the file must still be valid JSON.
    expect(() => JSON.parse(readFileSync(path, 'utf8'))).not.toThrow();
    const second = makeJob([lines], flows, { bound: 10, batchSize: 2 });
    await second.task.restore(await readSavepoint(path));
    await second.task.run();
    expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
  });

  it('stores checkpoints in a binary form that restores the same run, and still reads the JSON text stores held before', async () => {
    const whole = await runJob(lines, flows, { bound: 10, batchSize: 2 });
    const first = makeJob([lines], flows, { bound: 10, batchSize: 2 });
    await first.task.step();
    await first.task.step();
    const cp = first.task.snapshot();
    const bytes = encodeCheckpointBytes(cp);
    const decoded = decodeCheckpointBytes(bytes);
    // Infinities (the watermarks' start) survive without a replacer.
    expect(decoded).toEqual(cp);
    expect(decodeCheckpointBytes(Buffer.from(encodeCheckpoint(cp), 'utf8'))).toEqual(cp);
    const second = makeJob([lines], flows, { bound: 10, batchSize: 2 });
    await second.task.restore(decoded);
    await second.task.run();
    expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
    const other = { ...cp, version: 99 };
    expect(() => decodeCheckpointBytes(encodeCheckpointBytes(other))).toThrow(/format version/);
  });

  it('refuses state for operators the job no longer has unless allowed, and starts new operators empty', async () => {
    const first = makeJob([lines], flows, { bound: 10 });
    await first.task.step();
    const cp = first.task.snapshot();
    const renamed = makeJob(
      [lines],
      (s) => s.keyBy((e) => e.k).window('flow-v2', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result }),
      { bound: 10 },
    );
    await expect(renamed.task.restore(cp)).rejects.toThrow(/state for operators this job does not have: flow/);
    await renamed.task.restore(cp, { allowNonRestoredState: true });
    await renamed.task.run();
    expect(renamed.out.values.length).toBeGreaterThan(0);
  });

  it('reports what it restored and dropped; an operator that cannot take its state is named, and skipped starts empty', async () => {
    const first = makeJob([lines], flows, { bound: 10 });
    await first.task.step();
    const cp = first.task.snapshot();
    const again = makeJob([lines], flows, { bound: 10 });
    expect(await again.task.restore(cp)).toEqual({ restored: expect.arrayContaining(['flow']), dropped: [] });
    // The same uid, state of another shape: the window operator refuses it, and the error names the operator.
    const unfit = { ...cp, operators: { ...cp.operators, flow: { not: 'a window state' } } };
    const other = makeJob([lines], flows, { bound: 10 });
    const error = await other.task.restore(unfit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperatorStateError);
    expect((error as OperatorStateError).uid).toBe('flow');
    const skipped = makeJob([lines], flows, { bound: 10 });
    const report = await skipped.task.restore(unfit, { skip: new Set(['flow']) });
    expect(report.restored).not.toContain('flow');
    await skipped.task.run();
    expect(skipped.out.values.length).toBeGreaterThan(0);
  });

  it('rejects a file that is not a checkpoint', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vigil-sp-')), 'bad.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '{"version": 99}');
    await expect(readSavepoint(path)).rejects.toThrow(/not a Vigil checkpoint/);
  });
});
