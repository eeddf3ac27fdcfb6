/**
 * `vigil test` runs the job `vigil run` runs: the shipped sample traffic (every line, as $raw) through each shipped
 * rule gives the same alerts (ids, event times, payloads) in a test as in an embedded run. Only detected_at differs
 * (wall clock there, virtual clock here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir, vigil } from './helpers.js';

const sample = new URL('../../fixtures/sample-traffic.ndjson', import.meta.url).pathname;

describe('vigil test ≡ vigil run', () => {
  it('the sample traffic gives the same alerts per rule', async () => {
    const run = await vigil(['run', '--input', sample]);
    expect(run.code, run.err).toBe(0);
    const alerts = run.out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { id: string; rule: string; event_time: number; payload: unknown });
    const rules = ['cloned-plate', 'first-entry', 'sudden-flow', 'sudden-congestion'];
    // Something to compare (which rules fire on the sample is the rules' business, not this test's).
    expect(alerts.length).toBeGreaterThan(1);

    const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    const input = readFileSync(sample, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => `      - { $raw: ${quote(l)} }`)
      .join('\n');
    const tests = rules.map((rule) =>
      [
        `  - name: ${rule}`,
        `    rule: ${rule}`,
        '    input:',
        input,
        '    expect:',
        `      alerts: ${alerts.some((a) => a.rule === rule) ? '' : '[]'}`,
        ...alerts.filter((a) => a.rule === rule).map((a) => `        - ${JSON.stringify({ id: a.id, event_time: a.event_time, payload: a.payload })}`),
      ].join('\n'),
    );
    const dir = tempDir({ 'sample.test.yaml': `tests:\n${tests.join('\n')}\n` });
    const r = await vigil(['test'], dir);
    expect(r.err).toContain(`${rules.length} passed, 0 failed`);
    expect(r.code).toBe(0);
  });
});
