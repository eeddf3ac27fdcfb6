/**
 * Where lookups run when a job is cut into stages (vigil serve): a stream whose lookups all take the same arguments
 * is read from an exchange by them, a pattern keyed alike reads that stream without a second exchange, streams that
 * filter one input alike share the filter and the exchange after it, and the source stage then looks nothing up
 * (so it can run one task per input partition). Lookups by different keys on one stream stay at the source.
 */
import { describe, expect, it } from 'vitest';
import { compileJob, firstSeenLookup, loadTrafficProgram, lookupSignatures, trafficCheck } from '../../src/app/index.js';
import { ArraySource, type JobGraph, planTopology } from '../../src/core/index.js';
import { compileSources } from '../../src/dsl/index.js';
import { MemoryFirstSeenStore } from '../../src/io/first-seen/memory-store.js';

const lookups = new Map([['first_seen', firstSeenLookup(new MemoryFirstSeenStore())]]);
const outputs = { route: () => null, streams: new Map() };

function stagesOf(graph: JobGraph): Map<string, string[]> {
  const t = planTopology(graph);
  return new Map(t.stages.map((s) => [s.name, s.nodes.map((n) => (graph.nodes[n] as { uid: string }).uid)]));
}

describe('lookups in a spread job', () => {
  it('the shipped job: first_seen runs behind the vehicle exchange, which plates and sightings share; the source looks nothing up', () => {
    const p = loadTrafficProgram({}, process.cwd());
    const graph = compileJob(
      {
        program: p.loaded.program,
        sources: p.loaded.sources,
        rules: p.loaded.rules,
        source: new ArraySource('in', [[]]),
        check: trafficCheck(p.registry),
        lookups,
        outputs,
      },
      () => Number.NEGATIVE_INFINITY,
    );
    const source = graph.nodes.find((n) => n.kind === 'source');
    expect(source?.kind === 'source' && source.spec.stage).toBeUndefined();
    const vehicles = graph.nodes.filter((n) => n.kind === 'exchange' && n.uid.endsWith(':by:plate,plate_color'));
    expect(vehicles.map((n) => n.uid)).toEqual(['plates:by:plate,plate_color']);
    expect(vehicles[0]?.kind === 'exchange' && vehicles[0].stage !== undefined).toBe(true);
    const stages = stagesOf(graph);
    expect(stages.get('plates:by:plate,plate_color')).toEqual(expect.arrayContaining(['rule:cloned-plate:cep', 'pattern:hop:cep', 'stream:sightings:enrich']));
    // first_entry is keyed by the plate's shape (a misread and the plate it misreads together): one exchange more.
    expect(stages.get('plates:by:plate,plate_color')).not.toContain('rule:first-entry:cep');
    expect([...stages.values()].some((s) => s.includes('rule:first-entry:cep'))).toBe(true);
    // Both streams filter the source by the same condition: one filter, one exchange.
    expect(stages.get('source')).toContain('stream:plates:where');
    expect(stages.get('source')).not.toContain('stream:sightings:where');
  });

  it('lookups by different arguments on one stream stay at the source; a pattern on a keyed enrich stream adds no exchange', () => {
    const text = `source passes
  event time ts
  watermark 0s out of order

stream both = from passes
  enrich a = first_seen(plate)
  enrich b = first_seen(checkpoint)

stream seen = from passes
  where speed > 10
  enrich is_new = first_seen(plate)

pattern twice
  from seen
  key by plate
  define
    x as is_new
  match x followed by y
  within 1h
  emit { plate: x.plate }
`;
    const { program, errors } = compileSources([{ file: 'f.pattern', source: text }], { lookups: lookupSignatures() });
    if (program === null) throw new Error(errors.map((e) => e.message).join('\n'));
    const graph = compileJob(
      {
        program,
        patterns: ['twice'],
        source: new ArraySource('in', [[]]),
        lookups,
        outputs: { ...outputs, streams: new Map([['both', { write() {}, flush: async () => {} }]]) },
      },
      () => Number.NEGATIVE_INFINITY,
    );
    const source = graph.nodes.find((n) => n.kind === 'source');
    expect(source?.kind === 'source' && source.spec.stage !== undefined).toBe(true);
    const exchanges = graph.nodes.filter((n) => n.kind === 'exchange').map((n) => n.uid);
    expect(exchanges).toEqual(['seen:lookup:by:plate']);
  });
});
