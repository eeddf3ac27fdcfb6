import { describe, expect, it } from 'vitest';
import {
  ArraySource,
  CollectSink,
  count,
  type DataStream,
  type GraphNode,
  JobGraph,
  ManualClock,
  type Operator,
  type OperatorContext,
  OutputTag,
  type ParseContext,
  planTopology,
  type SourceSpec,
  type Stage,
  type StageExit,
  stageGraph,
  sum,
  Task,
  type Topology,
  tumbling,
} from '../../src/core/index.js';
import { type Ev, ev, type Line, parseLine } from './harness.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const byK = (e: Ev): string => e.k;
const byV = (e: Ev): number => e.v;

function sourceSpec(lines: readonly Line[] = [], bound = 0): SourceSpec<Line, Ev> {
  return {
    source: new ArraySource<Line>('src', [lines], 3),
    deserialize: parseLine,
    eventTime: { extract: (e) => e.ts, describe: (e) => `bad ts ${String(e.ts)}` },
    watermarks: { outOfOrdernessMs: bound },
  };
}

function newGraph(lines: readonly Line[] = []): { graph: JobGraph; src: DataStream<Ev> } {
  const graph = new JobGraph('t');
  return { graph, src: graph.source<Line, Ev>('src', sourceSpec(lines)) };
}

/** A stateless keyed operator (passes records and watermarks on): enough to give a keyed stream a reader. */
class Pass<T> implements Operator<T, T> {
  private ctx!: OperatorContext<T>;
  constructor(readonly uid: string) {}
  open(ctx: OperatorContext<T>): void {
    this.ctx = ctx;
  }
  processElement(value: T, timestamp: number): void {
    this.ctx.output.collect(value, timestamp);
  }
  processWatermark(watermark: number): void {
    this.ctx.output.emitWatermark(watermark);
  }
  snapshotState(): unknown {
    return null;
  }
  restoreState(): void {}
}

/** Even values to the main output, odd ones to a side output. */
class Split implements Operator<Ev, Ev> {
  private ctx!: OperatorContext<Ev>;
  constructor(
    readonly uid: string,
    private readonly tag: OutputTag<Ev>,
  ) {}
  open(ctx: OperatorContext<Ev>): void {
    this.ctx = ctx;
  }
  processElement(value: Ev, timestamp: number): void {
    if (value.v % 2 === 0) this.ctx.output.collect(value, timestamp);
    else this.ctx.output.side(this.tag, value, timestamp);
  }
  processWatermark(watermark: number): void {
    this.ctx.output.emitWatermark(watermark);
  }
  snapshotState(): unknown {
    return null;
  }
  restoreState(): void {}
}

function nodeId(graph: JobGraph, uid: string): number {
  const n = graph.nodes.find((x) => x.uid === uid);
  if (n === undefined) throw new Error(`no node '${uid}'`);
  return n.id;
}

function stageOf(topology: Topology, name: string): Stage {
  const s = topology.stages.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no stage '${name}' (have ${topology.stages.map((x) => x.name).join(', ')})`);
  return s;
}

const uidsOf = (graph: JobGraph, ids: readonly number[]): string[] => ids.map((id) => (graph.nodes[id] as GraphNode).uid);

const exitsOf = (s: Stage): Array<Omit<StageExit, 'key'>> => s.exits.map(({ exchange, from, ordinal }) => ({ exchange, from, ordinal }));

function producersOf(t: Topology): Record<string, unknown> {
  return Object.fromEntries([...t.producers].map(([k, v]) => [k, v.map((p) => ({ ...p }))]));
}

// ---------------------------------------------------------------------------------------------------------------
// planTopology

describe('planTopology', () => {
  it('a graph without keyBy is one stage, the source stage, with every node and no exits', () => {
    const { graph, src } = newGraph();
    const sink = new CollectSink<number>();
    src
      .filter('f', (e) => e.v > 0)
      .map('m', (e) => e.v)
      .to('out', sink);
    const t = planTopology(graph);
    expect(t.graph).toBe(graph);
    expect(t.stages).toHaveLength(1);
    const [s] = t.stages as [Stage];
    expect(s.name).toBe('source');
    expect(s.root).toBe(nodeId(graph, 'src'));
    expect(uidsOf(graph, s.nodes)).toEqual(['f', 'm', 'out']);
    expect(s.exits).toEqual([]);
    expect(t.producers.size).toBe(0);
  });

  it('throws when the graph has no source', () => {
    expect(() => planTopology(new JobGraph('empty'))).toThrow(/no source/);
  });

  it('source -> keyBy(a) -> op -> keyBy(b) -> op: three stages, cut at each exchange', () => {
    const { graph, src } = newGraph();
    const sink = new CollectSink<Ev>();
    const first = src
      .filter('valid', (e) => e.v > 0)
      .keyBy(byK)
      .transform('op-a', () => new Pass('op-a'));
    first
      .keyBy(byV, 'by-v')
      .transform('op-b', () => new Pass('op-b'))
      .to('out', sink);

    expect(graph.nodes.map((n) => [n.kind, n.uid])).toEqual([
      ['source', 'src'],
      ['operator', 'valid'],
      ['exchange', 'op-a:by-key'], // named after its first keyed operator
      ['operator', 'op-a'],
      ['exchange', 'by-v'], // named explicitly
      ['operator', 'op-b'],
      ['sink', 'out'],
    ]);

    const t = planTopology(graph);
    expect(t.stages.map((s) => s.name)).toEqual(['source', 'op-a:by-key', 'by-v']);

    const source = stageOf(t, 'source');
    expect(source.root).toBe(0);
    expect(uidsOf(graph, source.nodes)).toEqual(['valid']);
    expect(exitsOf(source)).toEqual([{ exchange: 'op-a:by-key', from: { node: nodeId(graph, 'valid'), tag: null }, ordinal: 0 }]);
    expect(source.exits[0]?.key).toBe(byK);

    const a = stageOf(t, 'op-a:by-key');
    expect(a.root).toBe(nodeId(graph, 'op-a:by-key'));
    expect(uidsOf(graph, a.nodes)).toEqual(['op-a']);
    expect(exitsOf(a)).toEqual([{ exchange: 'by-v', from: { node: nodeId(graph, 'op-a'), tag: null }, ordinal: 0 }]);
    expect(a.exits[0]?.key).toBe(byV);

    const b = stageOf(t, 'by-v');
    expect(b.root).toBe(nodeId(graph, 'by-v'));
    expect(uidsOf(graph, b.nodes)).toEqual(['op-b', 'out']);
    expect(b.exits).toEqual([]);

    expect(producersOf(t)).toEqual({
      'op-a:by-key': [{ stage: 'source', writers: 1 }],
      'by-v': [{ stage: 'op-a:by-key', writers: 1 }],
    });
  });

  it('every non-source, non-exchange node is in exactly one stage', () => {
    const { graph, src } = newGraph();
    const k = src.keyBy(byK);
    const w = k.window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result });
    w.to('w-out', new CollectSink());
    k.transform('p', () => new Pass('p'))
      .keyBy(byV)
      .transform('q', () => new Pass('q'))
      .to('q-out', new CollectSink());
    const t = planTopology(graph);
    const all = t.stages.flatMap((s) => s.nodes).sort((a, b) => a - b);
    const expected = graph.nodes.filter((n) => n.kind !== 'source' && n.kind !== 'exchange').map((n) => n.id);
    expect(all).toEqual(expected);
  });

  it('operators keyed by the same selector on the same stream share one exchange (one stage)', () => {
    const { graph, src } = newGraph();
    const w = src.keyBy(byK).window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result });
    const p = src.keyBy(byK).transform('p', () => new Pass('p'));
    w.to('w-out', new CollectSink());
    p.to('p-out', new CollectSink());

    expect(graph.nodes.filter((n) => n.kind === 'exchange').map((n) => n.uid)).toEqual(['w:by-key']);
    const t = planTopology(graph);
    expect(t.stages.map((s) => s.name)).toEqual(['source', 'w:by-key']);
    expect(uidsOf(graph, stageOf(t, 'w:by-key').nodes)).toEqual(['w', 'p', 'w-out', 'p-out']);
    // One exit from the source stage, not one per keyed operator.
    expect(exitsOf(stageOf(t, 'source'))).toEqual([{ exchange: 'w:by-key', from: { node: 0, tag: null }, ordinal: 0 }]);
    expect(producersOf(t)).toEqual({ 'w:by-key': [{ stage: 'source', writers: 1 }] });
  });

  it('another selector, or the same selector on another stream, makes another exchange', () => {
    const { graph, src } = newGraph();
    src.keyBy(byK).transform('a', () => new Pass('a'));
    src.keyBy((e) => e.k).transform('b', () => new Pass('b')); // equal body, different function
    src
      .filter('f', () => true)
      .keyBy(byK)
      .transform('c', () => new Pass('c'));
    expect(graph.nodes.filter((n) => n.kind === 'exchange').map((n) => n.uid)).toEqual(['a:by-key', 'b:by-key', 'c:by-key']);
    const t = planTopology(graph);
    expect(t.stages.map((s) => s.name)).toEqual(['source', 'a:by-key', 'b:by-key', 'c:by-key']);
    expect(exitsOf(stageOf(t, 'source')).map((e) => e.exchange)).toEqual(['a:by-key', 'b:by-key', 'c:by-key']);
  });

  it("a union of two stages that is then keyed runs in both stages, each copy reading its own stage's input", () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    a.union('u', b)
      .keyBy(byK, 'merged')
      .transform('c', () => new Pass('c'))
      .to('out', new CollectSink());

    const t = planTopology(graph);
    expect(t.stages.map((s) => s.name)).toEqual(['source', 'a:by-key', 'b:by-key', 'merged']);
    const u = nodeId(graph, 'u');
    expect(stageOf(t, 'a:by-key').nodes).toContain(u);
    expect(stageOf(t, 'b:by-key').nodes).toContain(u);

    expect(exitsOf(stageOf(t, 'a:by-key'))).toEqual([{ exchange: 'merged', from: { node: u, tag: null }, ordinal: 0 }]);
    expect(exitsOf(stageOf(t, 'b:by-key'))).toEqual([{ exchange: 'merged', from: { node: u, tag: null }, ordinal: 0 }]);
    expect(stageOf(t, 'a:by-key').exits[0]?.key).toBe(byK);
    expect(uidsOf(graph, stageOf(t, 'merged').nodes)).toEqual(['c', 'out']);
    expect(producersOf(t)['merged']).toEqual([
      { stage: 'a:by-key', writers: 1 },
      { stage: 'b:by-key', writers: 1 },
    ]);
  });

  it('a union read by two exchanges is written through into both', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    const u = a.union('u', b);
    u.keyBy(byK, 'x').transform('x-op', () => new Pass('x-op'));
    u.keyBy(byV, 'y').transform('y-op', () => new Pass('y-op'));
    const t = planTopology(graph);
    expect(exitsOf(stageOf(t, 'a:by-key')).map((e) => [e.exchange, e.ordinal])).toEqual([
      ['x', 0],
      ['y', 0],
    ]);
    expect(producersOf(t)['y']).toEqual([
      { stage: 'a:by-key', writers: 1 },
      { stage: 'b:by-key', writers: 1 },
    ]);
  });

  it('a union of differently keyed streams that is not re-keyed throws a clear error', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    a.union('u', b).to('out', new CollectSink());
    expect(() => planTopology(graph)).toThrow(/'u' reads streams keyed differently \('a:by-key' and 'b:by-key'\).*key by/);
  });

  it('a union of the source stage and a keyed stage that is not re-keyed throws too', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    src.union('u', a).to('out', new CollectSink());
    expect(() => planTopology(graph)).toThrow(/'u' reads streams keyed differently/);
  });

  it('a union read by an exchange and by a sink is a node of a stage: across stages it throws', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    const u = a.union('u', b);
    u.keyBy(byK).transform('c', () => new Pass('c'));
    u.to('out', new CollectSink());
    expect(() => planTopology(graph)).toThrow(/'u' reads streams keyed differently/);
  });

  // The DSL's `from a union b where ... key by ...` compiles to union -> filter -> keyBy.
  it('a union of two stages re-keyed after a filter (DSL `union ... where ... key by`) is planned', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    a.union('u', b)
      .filter('where', (e) => e.v > 0)
      .keyBy(byK, 'm')
      .transform('m-op', () => new Pass('m-op'));
    const t = planTopology(graph);
    expect((t.producers.get('m') ?? []).map((p) => p.stage).sort()).toEqual(['a:by-key', 'b:by-key']);
  });

  it('a union of two stages unioned again and then re-keyed is planned', () => {
    const { graph, src } = newGraph();
    const a = src.keyBy(byK).transform('a', () => new Pass('a'));
    const b = src.keyBy(byV).transform('b', () => new Pass('b'));
    a.union('u', b)
      .union(
        'u2',
        src.filter('c', () => true),
      )
      .keyBy(byK, 'm')
      .transform('m-op', () => new Pass('m-op'));
    const t = planTopology(graph);
    expect((t.producers.get('m') ?? []).map((p) => p.stage).sort()).toEqual(['a:by-key', 'b:by-key', 'source']);
  });

  it('a union of streams of one stage that is not re-keyed belongs to that stage', () => {
    const { graph, src } = newGraph();
    const k = src.keyBy(byK);
    const a = k.transform('a', () => new Pass('a'));
    const b = k.transform('b', () => new Pass('b'));
    a.union('u', b).to('out', new CollectSink());
    const t = planTopology(graph);
    expect(uidsOf(graph, stageOf(t, 'a:by-key').nodes)).toEqual(['a', 'b', 'u', 'out']);
  });

  it('one stage feeding one exchange through two inputs of a union writes from its copy of the union', () => {
    const { graph, src } = newGraph();
    const x = src.filter('x', (e) => e.v > 0);
    const y = src.filter('y', (e) => e.v <= 0);
    const kb = src.keyBy(byV).transform('kb', () => new Pass('kb'));
    x.union('u', y, kb)
      .keyBy(byK, 'm')
      .transform('m-op', () => new Pass('m-op'));

    const t = planTopology(graph);
    const u = nodeId(graph, 'u');
    expect(exitsOf(stageOf(t, 'source'))).toEqual([
      { exchange: 'm', from: { node: u, tag: null }, ordinal: 0 },
      { exchange: 'kb:by-key', from: { node: 0, tag: null }, ordinal: 0 },
    ]);
    // Planning the same graph again numbers the writers alike (producer ids must survive a restart).
    expect(exitsOf(stageOf(planTopology(graph), 'source'))).toEqual(exitsOf(stageOf(t, 'source')));
    expect(exitsOf(stageOf(t, 'kb:by-key'))).toEqual([{ exchange: 'm', from: { node: u, tag: null }, ordinal: 0 }]);
    expect(producersOf(t)).toEqual({
      'kb:by-key': [{ stage: 'source', writers: 1 }],
      m: [
        { stage: 'source', writers: 1 },
        { stage: 'kb:by-key', writers: 1 },
      ],
    });
  });

  it('two exits of one stage into one exchange get ordinals 0 and 1', () => {
    const { graph, src } = newGraph();
    const x = src.filter('x', (e) => e.v > 0);
    const k = x.keyBy(byV);
    k.transform('p', () => new Pass('p'));
    const tag = new OutputTag<Ev>('odd');
    const split = src.transform<Ev>('split', () => new Split('split', tag));
    split.keyBy(byK, 'm').transform('m1', () => new Pass('m1'));
    split
      .sideOutput(tag)
      .keyBy(byK, 'm2')
      .transform('m2-op', () => new Pass('m2-op'));
    const t = planTopology(graph);
    const exits = exitsOf(stageOf(t, 'source'));
    expect(exits.map((e) => e.ordinal)).toEqual(exits.map(() => 0));
    expect(producersOf(t)['m']).toEqual([{ stage: 'source', writers: 1 }]);
  });

  it('a stream unioned with itself (main output and a side output of one node) feeds the exchange once, from the union', () => {
    const { graph, src } = newGraph();
    const tag = new OutputTag<Ev>('odd');
    const split = src.transform<Ev>('split', () => new Split('split', tag));
    split
      .union('u', split.sideOutput(tag))
      .keyBy(byK, 'm')
      .transform('m-op', () => new Pass('m-op'));
    const t = planTopology(graph);
    expect(exitsOf(stageOf(t, 'source'))).toEqual([{ exchange: 'm', from: { node: nodeId(graph, 'u'), tag: null }, ordinal: 0 }]);
    expect(uidsOf(graph, stageOf(t, 'source').nodes)).toEqual(['split', 'u']);
  });

  it('an exchange reading a side output exits from that side output', () => {
    const { graph, src } = newGraph();
    const late = new OutputTag<Ev>('late-w');
    src
      .keyBy(byK)
      .window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result, lateTag: late })
      .sideOutput(late)
      .keyBy(byV, 'late-by-v')
      .transform('late-op', () => new Pass('late-op'));
    const t = planTopology(graph);
    expect(exitsOf(stageOf(t, 'w:by-key'))).toEqual([{ exchange: 'late-by-v', from: { node: nodeId(graph, 'w'), tag: 'late-w' }, ordinal: 0 }]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// One task over the unsplit graph: exchanges are pass-throughs

/** Per-key counts per 10 ms window, then the windows' totals re-keyed by window start. */
function twoKeyJob(src: DataStream<Ev>, perKey: CollectSink<[string, number, number]>, totals: CollectSink<[number, number]>): void {
  const counted = src
    .filter('valid', (e) => e.v > 0)
    .keyBy(byK, 'by-k')
    .window('per-key', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f): [string, number, number] => [String(f.key), f.window.start, f.result] });
  counted.to('per-key-out', perKey);
  counted
    .keyBy((r) => r[1], 'by-window')
    .window('per-window', {
      assigner: tumbling(10),
      aggregate: sum<[string, number, number]>((r) => r[2]),
      result: (f): [number, number] => [f.window.start, f.result ?? 0],
    })
    .to('totals-out', totals);
}

const INPUT: readonly Line[] = [
  ev('a', 1),
  ev('b', 2),
  ev('a', 3),
  ev('c', 4, 0), // filtered out
  ev('b', 9),
  { wm: 9 },
  ev('a', 12),
  ev('b', 11),
  ev('c', 15),
  ev('a', 14),
  ev('b', 8), // late for [0, 10) (watermark 9 passed)
  ev('a', 25),
  { wm: 30 },
  ev('c', 31),
  ev('c', 33),
];

const EXPECTED_PER_KEY: Array<[string, number, number]> = [
  ['a', 0, 2],
  ['b', 0, 2],
  ['a', 10, 2],
  ['b', 10, 1],
  ['c', 10, 1],
  ['a', 20, 1],
  ['c', 30, 2],
];
const EXPECTED_TOTALS: Array<[number, number]> = [
  [0, 4],
  [10, 4],
  [20, 1],
  [30, 2],
];

async function runSingle(
  lines: readonly Line[],
): Promise<{ perKey: CollectSink<[string, number, number]>; totals: CollectSink<[number, number]>; late: CollectSink<unknown> }> {
  const { graph, src } = newGraph(lines);
  const perKey = new CollectSink<[string, number, number]>();
  const totals = new CollectSink<[number, number]>();
  const late = new CollectSink<unknown>();
  twoKeyJob(src, perKey, totals);
  graph.lateRecords(late);
  await new Task(graph, { clock: new ManualClock(0) }).run();
  return { perKey, totals, late };
}

describe('a task over the unsplit graph', () => {
  it('runs a keyed window job as if the exchanges were not there', async () => {
    const { graph, src } = newGraph([ev('a', 1), ev('b', 2), ev('a', 3), ev('a', 12), ev('b', 15)]);
    const out = new CollectSink<[string, number, number]>();
    src
      .keyBy(byK)
      .window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f): [string, number, number] => [String(f.key), f.window.start, f.result] })
      .to('out', out);
    expect(graph.nodes.some((n) => n.kind === 'exchange')).toBe(true);
    await new Task(graph, { clock: new ManualClock(0) }).run();
    expect(out.values).toEqual([
      ['a', 0, 2],
      ['b', 0, 1],
      ['a', 10, 1],
      ['b', 10, 1],
    ]);
  });

  it('runs two changes of key, with the late record refused', async () => {
    const r = await runSingle(INPUT);
    expect(r.perKey.values).toEqual(EXPECTED_PER_KEY);
    expect(r.totals.values).toEqual(EXPECTED_TOTALS);
    expect(r.late.values).toHaveLength(1);
  });

  it('an exchange on a side output reads that side output only', async () => {
    const { graph, src } = newGraph([ev('a', 1), ev('a', 12), { wm: 20 }, ev('a', 5), ev('b', 7)]);
    const late = new OutputTag<Ev>('late-w');
    const main = new CollectSink<number>();
    const lateOut = new CollectSink<Ev>();
    const w = src.keyBy(byK).window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result, lateTag: late });
    w.to('main', main);
    w.sideOutput(late)
      .keyBy(byV, 'late-by-v')
      .transform('late-op', () => new Pass('late-op'))
      .to('late-out', lateOut);
    await new Task(graph, { clock: new ManualClock(0) }).run();
    expect(main.values).toEqual([1, 1]);
    expect(lateOut.values).toEqual([ev('a', 5), ev('b', 7)]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// stageGraph

type Item = { readonly v: unknown; readonly t: number } | { readonly wm: number };

/** Stands in for the exchange writer: keeps what the exit operator receives, in order. */
class CaptureExit implements Operator<unknown, never> {
  constructor(
    readonly uid: string,
    readonly into: Item[],
  ) {}
  open(): void {}
  processElement(value: unknown, timestamp: number): void {
    this.into.push({ v: value, t: timestamp });
  }
  processWatermark(watermark: number): void {
    this.into.push({ wm: watermark });
  }
  snapshotState(): unknown {
    return null;
  }
  restoreState(): void {}
}

/** A stage's source over captured items, one partition per producer (stage, ordinal), as the service's reader. */
function exchangeSpec(partitions: ReadonlyArray<readonly Item[]>): SourceSpec<unknown, unknown> {
  let at = 0;
  const spec: SourceSpec<Item, unknown> = {
    source: new ArraySource<Item>('exchange', partitions, 2),
    deserialize: (item: Item, ctx: ParseContext<unknown>) => {
      if ('wm' in item) ctx.watermark(item.wm);
      else {
        at = item.t;
        ctx.record(item.v);
      }
    },
    eventTime: { extract: () => at, describe: () => 'no time' },
    watermarks: { outOfOrdernessMs: Number.POSITIVE_INFINITY },
  };
  return spec as unknown as SourceSpec<unknown, unknown>;
}

/** Runs each stage's graph in its own task, in plan order, feeding each exchange what its producers' exits got. */
async function runStaged(graph: JobGraph): Promise<{ topology: Topology; captured: Map<string, Map<string, Item[]>> }> {
  const topology = planTopology(graph);
  const captured = new Map<string, Map<string, Item[]>>(); // exchange -> producer -> items
  const source = graph.nodes.find((n) => n.kind === 'source');
  if (source?.kind !== 'source') throw new Error('no source');
  for (const stage of topology.stages) {
    let spec: SourceSpec<unknown, unknown>;
    if (stage.name === 'source') spec = source.spec;
    else {
      const byProducer = captured.get(stage.name);
      if (byProducer === undefined) throw new Error(`stage '${stage.name}' runs before its producers`);
      spec = exchangeSpec([...byProducer.values()]);
    }
    const g = stageGraph(topology, stage, { uid: `in:${stage.name}`, spec }, (e, uid) => {
      const byProducer = captured.get(e.exchange) ?? new Map<string, Item[]>();
      captured.set(e.exchange, byProducer);
      const items: Item[] = [];
      byProducer.set(`${stage.name}#${e.ordinal}`, items);
      return new CaptureExit(uid, items);
    });
    await new Task(g, { clock: new ManualClock(0) }).run();
  }
  return { topology, captured };
}

describe('stageGraph', () => {
  it('wires a stage: new ids, inputs remapped, the given source at 0 and one exit operator per exit', () => {
    const { graph, src } = newGraph();
    const dead = new CollectSink<never>();
    const late = new CollectSink<never>();
    graph.deadLetters(dead).lateRecords(late);
    const perKey = new CollectSink<[string, number, number]>();
    const totals = new CollectSink<[number, number]>();
    twoKeyJob(src, perKey, totals);
    const t = planTopology(graph);
    expect(t.stages.map((s) => s.name)).toEqual(['source', 'by-k', 'by-window']);

    const made: Array<[string, string]> = [];
    const exit = (e: StageExit, uid: string): Operator<unknown, never> => {
      made.push([e.exchange, uid]);
      return new CaptureExit(uid, []);
    };
    const spec = sourceSpec();

    const s0 = stageGraph(t, stageOf(t, 'source'), { uid: 'in', spec: spec as unknown as SourceSpec<unknown, unknown> }, exit);
    expect(s0.name).toBe('t/source');
    expect(s0.nodes.map((n) => [n.kind, n.id, n.uid, n.kind === 'operator' || n.kind === 'sink' ? n.input : null])).toEqual([
      ['source', 0, 'in', null],
      ['operator', 1, 'valid', { node: 0, tag: null }],
      ['operator', 2, 'exchange-out:by-k:0', { node: 1, tag: null }],
    ]);
    expect((s0.nodes[0] as Extract<GraphNode, { kind: 'source' }>).spec).toBe(spec);
    expect(s0.deadLetterSinks).toEqual([dead]);
    expect(s0.lateSinks).toEqual([late]);

    const s1 = stageGraph(t, stageOf(t, 'by-k'), { uid: 'in1', spec: spec as unknown as SourceSpec<unknown, unknown> }, exit);
    expect(s1.name).toBe('t/by-k');
    expect(s1.nodes.map((n) => [n.kind, n.id, n.uid, n.kind === 'operator' || n.kind === 'sink' ? n.input : null])).toEqual([
      ['source', 0, 'in1', null],
      ['operator', 1, 'per-key', { node: 0, tag: null }],
      ['sink', 2, 'per-key-out', { node: 1, tag: null }],
      ['operator', 3, 'exchange-out:by-window:0', { node: 1, tag: null }],
    ]);

    const s2 = stageGraph(t, stageOf(t, 'by-window'), { uid: 'in2', spec: spec as unknown as SourceSpec<unknown, unknown> }, exit);
    expect(s2.nodes.map((n) => [n.kind, n.id, n.uid, n.kind === 'operator' || n.kind === 'sink' ? n.input : null])).toEqual([
      ['source', 0, 'in2', null],
      ['operator', 1, 'per-window', { node: 0, tag: null }],
      ['sink', 2, 'totals-out', { node: 1, tag: null }],
    ]);

    // Exit operators are made by the callback only when a task instantiates the graph, with the exit's uid.
    expect(made).toEqual([]);
    new Task(s1, { clock: new ManualClock(0) });
    expect(made).toEqual([['by-window', 'exchange-out:by-window:0']]);
  });

  it('keeps the source side-output tags and drops the tag at an exchange root', () => {
    const { graph, src } = newGraph();
    const late = new OutputTag<Ev>('late-w');
    const w = src.keyBy(byK).window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => f.result, lateTag: late });
    w.sideOutput(late).to('late-sink', new CollectSink());
    w.sideOutput(late)
      .keyBy(byV, 'late-by-v')
      .transform('late-op', () => new Pass('late-op'));
    const t = planTopology(graph);
    const exit = (_e: StageExit, uid: string) => new CaptureExit(uid, []);
    const spec = sourceSpec() as unknown as SourceSpec<unknown, unknown>;
    const sw = stageGraph(t, stageOf(t, 'w:by-key'), { uid: 'in', spec }, exit);
    expect(sw.nodes.map((n) => [n.uid, n.kind === 'operator' || n.kind === 'sink' ? n.input : null])).toEqual([
      ['in', null],
      ['w', { node: 0, tag: null }],
      ['late-sink', { node: 1, tag: 'late-w' }],
      ['exchange-out:late-by-v:0', { node: 1, tag: 'late-w' }],
    ]);
    const sl = stageGraph(t, stageOf(t, 'late-by-v'), { uid: 'in', spec }, exit);
    expect(sl.nodes.map((n) => [n.uid, n.kind === 'operator' || n.kind === 'sink' ? n.input : null])).toEqual([
      ['in', null],
      ['late-op', { node: 0, tag: null }], // the exchange's output has no tag
    ]);
  });

  it('an exit from a source side output keeps its tag', () => {
    const { graph, src } = newGraph();
    // A source has no side outputs of its own in the core API; a sideOutput() of the source stream is a ref with a tag.
    src
      .sideOutput(new OutputTag<Ev>('x'))
      .keyBy(byK, 'kx')
      .transform('op', () => new Pass('op'));
    const t = planTopology(graph);
    const g = stageGraph(
      t,
      stageOf(t, 'source'),
      { uid: 'in', spec: sourceSpec() as unknown as SourceSpec<unknown, unknown> },
      (_e, uid) => new CaptureExit(uid, []),
    );
    expect(g.nodes.map((n) => [n.uid, n.kind === 'operator' ? n.input : null])).toEqual([
      ['in', null],
      ['exchange-out:kx:0', { node: 0, tag: 'x' }],
    ]);
  });

  it("remaps unions inside a stage, and keeps of a shared union only the stage's own inputs", () => {
    const { graph, src } = newGraph();
    const x = src.filter('x', (e) => e.v > 0);
    const y = src.filter('y', (e) => e.v <= 0);
    x.union('inner', y).to('inner-out', new CollectSink());
    const kb = src.keyBy(byV).transform('kb', () => new Pass('kb'));
    x.union('through', y, kb)
      .keyBy(byK, 'm')
      .transform('m-op', () => new Pass('m-op'));
    const t = planTopology(graph);
    const g = stageGraph(
      t,
      stageOf(t, 'source'),
      { uid: 'in', spec: sourceSpec() as unknown as SourceSpec<unknown, unknown> },
      (_e, uid) => new CaptureExit(uid, []),
    );
    expect(g.nodes.map((n) => [n.kind, n.uid, n.kind === 'union' ? n.inputs : n.kind === 'source' ? null : n.input])).toEqual([
      ['source', 'in', null],
      ['operator', 'x', { node: 0, tag: null }],
      ['operator', 'y', { node: 0, tag: null }],
      [
        'union',
        'inner',
        [
          { node: 1, tag: null },
          { node: 2, tag: null },
        ],
      ],
      ['sink', 'inner-out', { node: 3, tag: null }],
      [
        'union',
        'through',
        [
          { node: 1, tag: null },
          { node: 2, tag: null },
        ],
      ],
      ['operator', 'exchange-out:m:0', { node: 5, tag: null }],
      ['operator', 'exchange-out:kb:by-key:0', { node: 0, tag: null }],
    ]);
    const gk = stageGraph(
      t,
      stageOf(t, 'kb:by-key'),
      { uid: 'kb-in', spec: sourceSpec() as unknown as SourceSpec<unknown, unknown> },
      (_e, uid) => new CaptureExit(uid, []),
    );
    expect(gk.nodes.map((n) => [n.kind, n.uid, n.kind === 'union' ? n.inputs : n.kind === 'source' ? null : n.input])).toEqual([
      ['source', 'kb-in', null],
      ['operator', 'kb', { node: 0, tag: null }],
      ['union', 'through', [{ node: 1, tag: null }]],
      ['operator', 'exchange-out:m:0', { node: 2, tag: null }],
    ]);
  });

  it('stages chained by hand through in-memory queues give what one task over the whole graph gives', async () => {
    const single = await runSingle(INPUT);

    const { graph, src } = newGraph(INPUT);
    const perKey = new CollectSink<[string, number, number]>();
    const totals = new CollectSink<[number, number]>();
    const late = new CollectSink<unknown>();
    twoKeyJob(src, perKey, totals);
    graph.lateRecords(late);
    const { topology, captured } = await runStaged(graph);

    expect(topology.stages.map((s) => s.name)).toEqual(['source', 'by-k', 'by-window']);
    expect(perKey.values).toEqual(single.perKey.values);
    expect(totals.values).toEqual(single.totals.values);
    expect(perKey.timestamps).toEqual(single.perKey.timestamps);
    expect(totals.timestamps).toEqual(single.totals.timestamps);
    expect(totals.values).toEqual(EXPECTED_TOTALS);
    expect(late.values).toHaveLength(single.late.values.length);

    // What crossed the first exchange: the valid records with their event times, and the source's watermarks.
    const first = captured.get('by-k')?.get('source#0') ?? [];
    const records = first.filter((i): i is { v: Ev; t: number } => 'v' in i);
    expect(records.map((r) => [r.v.k, r.t])).toEqual(INPUT.filter((l): l is Ev => 'k' in l && l.v > 0).map((e) => [e.k, e.ts]));
    const wms = first.filter((i): i is { wm: number } => 'wm' in i).map((i) => i.wm);
    expect(wms).toEqual([...wms].sort((a, b) => a - b));
    expect(wms.at(-1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a union of two stages re-keyed, chained by hand, counts what one task counts', async () => {
    const lines: Line[] = [ev('a', 1, 1), ev('b', 2, 2), ev('a', 5, 2), { wm: 9 }, ev('c', 11, 1), ev('a', 13, 2), { wm: 20 }, ev('b', 22, 1)];
    const build = (src: DataStream<Ev>, out: CollectSink<[string, number, number]>): void => {
      const a = src.keyBy(byK).transform('a', () => new Pass('a'));
      const b = src.keyBy(byV).transform('b', () => new Pass('b'));
      a.union('u', b)
        .keyBy(byK, 'merged')
        .window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f): [string, number, number] => [String(f.key), f.window.start, f.result] })
        .to('out', out);
    };
    const one = newGraph(lines);
    const oneOut = new CollectSink<[string, number, number]>();
    build(one.src, oneOut);
    await new Task(one.graph, { clock: new ManualClock(0) }).run();

    const staged = newGraph(lines);
    const stagedOut = new CollectSink<[string, number, number]>();
    build(staged.src, stagedOut);
    const { captured } = await runStaged(staged.graph);
    expect([...(captured.get('merged')?.keys() ?? [])]).toEqual(['a:by-key#0', 'b:by-key#0']);

    const sorted = (v: Array<[string, number, number]>) => [...v].sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
    // Every record reaches the merged window twice (once through each branch).
    expect(sorted(oneOut.values)).toEqual([
      ['a', 0, 4],
      ['b', 0, 2],
      ['a', 10, 2],
      ['c', 10, 2],
      ['b', 20, 2],
    ]);
    expect(sorted(stagedOut.values)).toEqual(sorted(oneOut.values));
  });
});
