import { type GraphNode, JobGraph, type SourceSpec, type StreamRef } from './graph.js';
import type { KeySelector } from './keyed-operator.js';
import type { Operator } from './operator.js';

/**
 * A job graph cut at its exchanges into stages (Kafka Streams' sub-topologies): the source's stage, then one stage
 * per exchange, reading what that exchange's producers wrote. In one task the cut is invisible (an exchange is a
 * pass-through); spread over processes, each exchange is a repartition topic and each stage runs one task per
 * partition of its input, so every record of a key meets that key's state in one task.
 */
export interface Stage {
  /** 'source' for the source's stage; the exchange's uid otherwise. */
  readonly name: string;
  /** The node the stage starts from: the source, or the exchange it reads. */
  readonly root: number;
  /** The nodes the stage runs (operators, unions, sinks), in graph order. */
  readonly nodes: readonly number[];
  /** Where the stage writes into exchanges: the stream that feeds each one. */
  readonly exits: readonly StageExit[];
}

export interface StageExit {
  readonly exchange: string;
  readonly from: StreamRef;
  readonly key: KeySelector<unknown>;
  /** Which of this stage's writers into the exchange (a stage may feed one exchange from several streams). */
  readonly ordinal: number;
}

export interface Topology {
  readonly graph: JobGraph;
  readonly stages: readonly Stage[];
  /** Per exchange uid: the stages that write into it, and with how many writers each. */
  readonly producers: ReadonlyMap<string, readonly { readonly stage: string; readonly writers: number }[]>;
}

type ExchangeNode = Extract<GraphNode, { kind: 'exchange' }>;

/** Cuts the graph at its exchanges. Throws when a union merges streams of different stages that are not re-keyed. */
export function planTopology(graph: JobGraph): Topology {
  const nodes = graph.nodes;
  const consumersOf = (id: number): GraphNode[] =>
    nodes.filter((n) => (n.kind === 'union' ? n.inputs.some((r) => r.node === id) : n.kind !== 'source' && n.input.node === id));
  // Every path from the node runs through keyless operators and unions into exchanges, never to a sink.
  const onlyToExchanges = (id: number): boolean => {
    const cs = consumersOf(id);
    return cs.length > 0 && cs.every((c) => c.kind === 'exchange' || ((c.kind === 'operator' || c.kind === 'union') && onlyToExchanges(c.id)));
  };
  // A union that only leads into exchanges (`from a union b where ... key by ...`) and the keyless nodes after it
  // hold no state: each stage that feeds it runs its own copy, reading only that stage's inputs, and writes into
  // the exchanges, whose readers merge the copies.
  const shared = new Set<number>();
  const share = (id: number): void => {
    for (const c of consumersOf(id)) {
      if (c.kind === 'exchange' || shared.has(c.id)) continue;
      shared.add(c.id);
      share(c.id);
    }
  };
  for (const n of nodes) {
    if (n.kind === 'union' && !shared.has(n.id) && onlyToExchanges(n.id)) {
      shared.add(n.id);
      share(n.id);
    }
  }
  const owner = new Map<number, string>();
  const stages: Stage[] = [];
  const producers = new Map<string, { stage: string; writers: number }[]>();
  const source = nodes.find((n) => n.kind === 'source');
  if (source === undefined) throw new Error(`job '${graph.name}' has no source`);
  const roots: { name: string; root: number }[] = [{ name: 'source', root: source.id }];
  for (const n of nodes) if (n.kind === 'exchange') roots.push({ name: n.uid, root: n.id });

  for (const { name, root } of roots) {
    const members: number[] = [];
    const exits: StageExit[] = [];
    const exitTo = (ex: ExchangeNode, from: StreamRef): void => {
      const list = producers.get(ex.uid) ?? [];
      let mine = list.find((p) => p.stage === name);
      if (mine === undefined) list.push((mine = { stage: name, writers: 0 }));
      producers.set(ex.uid, list);
      exits.push({ exchange: ex.uid, from, key: ex.key, ordinal: mine.writers++ });
    };
    const visit = (id: number): void => {
      for (const c of consumersOf(id)) {
        if (c.kind === 'exchange') {
          exitTo(c, c.input);
          continue;
        }
        if (shared.has(c.id)) {
          if (members.includes(c.id)) continue;
          members.push(c.id);
          visit(c.id);
          continue;
        }
        const seen = owner.get(c.id);
        if (seen === name) continue;
        if (seen !== undefined) {
          throw new Error(`'${c.uid}' reads streams keyed differently ('${seen}' and '${name}'): key the merged stream (key by) so it can be repartitioned`);
        }
        owner.set(c.id, name);
        members.push(c.id);
        if (c.kind !== 'sink') visit(c.id);
      }
    };
    visit(root);
    stages.push({ name, root, nodes: members.sort((a, b) => a - b), exits });
  }
  return { graph, stages, producers };
}

/**
 * The graph one task of a stage runs: a source (the job's own for the source stage, a repartition reader for the
 * others), the stage's nodes, and an operator per exit that writes into the exchange (`exit` makes it).
 */
export function stageGraph(
  topology: Topology,
  stage: Stage,
  source: { readonly uid: string; readonly spec: SourceSpec<unknown, unknown> },
  exit: (e: StageExit, uid: string) => Operator<unknown, never>,
): JobGraph {
  const { graph } = topology;
  const newId = new Map<number, number>([[stage.root, 0]]);
  stage.nodes.forEach((id, i) => {
    newId.set(id, i + 1);
  });
  const ref = (r: StreamRef): StreamRef => {
    const id = newId.get(r.node);
    if (id === undefined) throw new Error(`stage '${stage.name}' reads node ${r.node}, which is not in it`);
    // The exchange's output has no tag; the source keeps the tags it had.
    return { node: id, tag: r.node === stage.root && graph.nodes[r.node]?.kind === 'exchange' ? null : r.tag };
  };
  const out: GraphNode[] = [{ kind: 'source', id: 0, uid: source.uid, spec: source.spec }];
  for (const id of stage.nodes) {
    const n = graph.nodes[id] as GraphNode;
    const at = newId.get(id) as number;
    switch (n.kind) {
      case 'operator':
        out.push({ ...n, id: at, input: ref(n.input) });
        break;
      case 'sink':
        out.push({ ...n, id: at, input: ref(n.input) });
        break;
      case 'union':
        // A union shared by several stages reads, in each, only that stage's inputs.
        out.push({ ...n, id: at, inputs: n.inputs.filter((r) => newId.has(r.node)).map(ref) });
        break;
      case 'source':
      case 'exchange':
        throw new Error(`internal: '${n.uid}' inside stage '${stage.name}'`);
    }
  }
  for (const e of stage.exits) {
    const uid = `exchange-out:${e.exchange}:${e.ordinal}`;
    out.push({ kind: 'operator', id: out.length, uid, input: ref(e.from), create: () => exit(e, uid) });
  }
  return JobGraph.of(`${graph.name}/${stage.name}`, out, graph.deadLetterSinks, graph.lateSinks);
}
