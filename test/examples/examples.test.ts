/**
 * The examples' own tests (examples/**\/*.test.yaml), run through `vigil test` in-process so CI runs them, and
 * `vigil check` / `vigil run` on the bus example: a pattern over a non-traffic source with declared fields.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/app/index.js';
import { tempDir, vigil } from '../cli/helpers.js';

const EXAMPLES = join(packageRoot, 'examples');

describe('the examples', () => {
  it('pass their vigil tests', async () => {
    const r = await vigil(['test', EXAMPLES, '--json']);
    const results = r.out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { file: string; test: string; status: string });
    expect(r.code, r.err).toBe(0);
    expect(
      results.filter((x) => x.status !== 'passed'),
      r.err,
    ).toEqual([]);
    // Both examples ran: the bus pings (declared fields) and the mapped checkpoint feed.
    expect(new Set(results.map((x) => x.file.replace(/^.*examples\//, '')))).toEqual(new Set(['bus/stalled-bus.test.yaml', 'kakou/cloned-plate.test.yaml']));
  });

  it('vigil check accepts the bus pattern over its declared fields', async () => {
    const r = await vigil(['check', join(EXAMPLES, 'bus')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('1 source(s), 0 stream(s), 1 pattern(s); 1 rule(s), 1 enabled');
  });

  it('vigil run replays the bus pings: one stall alert, the ping with a text latitude dead-lettered', async () => {
    const bus = join(EXAMPLES, 'bus');
    const r = await vigil(['run', '--patterns', bus, '--rules', bus, '--input', join(bus, 'pings.ndjson'), '--dead-letter', join(tempDir(), 'dead.ndjson')]);
    expect(r.code, r.err).toBe(0);
    const alerts = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; key: string; payload: { pings: number } });
    expect(alerts.map((a) => [a.rule, a.key, a.payload.pings])).toEqual([['stalled-bus', 'bus-1042', 4]]);
    expect(r.err).toContain('41 records (1 dead letters');
  });
});
