import { describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../src/core/index.js';

describe('MetricRegistry.scoped', () => {
  it('keeps one gauge per scope for the same operator, and drops a scope’s gauges on request', () => {
    const root = new MetricRegistry();
    const a = root.scoped({ task: 'rule#0' });
    const b = root.scoped({ task: 'rule#1' });
    a.gauge('vigil_cep_partial_matches', { operator: 'rule:x:cep' }, () => 3);
    b.gauge('vigil_cep_partial_matches', { operator: 'rule:x:cep' }, () => 4);
    a.counter('vigil_records_in_total', { source: 's' }).value += 2;
    b.counter('vigil_records_in_total', { source: 's' }).value += 5;
    const gauges = root.samples().filter((s) => s.name === 'vigil_cep_partial_matches');
    expect(gauges.map((g) => [g.labels['task'], g.value]).sort()).toEqual([
      ['rule#0', 3],
      ['rule#1', 4],
    ]);
    expect(root.total('vigil_records_in_total')).toBe(7);
    expect(a.total('vigil_records_in_total')).toBe(7);
    root.removeGauges({ task: 'rule#0' });
    expect(
      root
        .samples()
        .filter((s) => s.name === 'vigil_cep_partial_matches')
        .map((g) => g.labels['task']),
    ).toEqual(['rule#1']);
    // Counters stay: they count what happened.
    expect(root.total('vigil_records_in_total')).toBe(7);
  });
});
