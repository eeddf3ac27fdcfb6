import type { BatchStage, Output } from '../../core/index.js';
import type { CheckedStream } from '../checked.js';
import type { Value } from '../functions.js';
import { compileCondition, compileExpr, type ExprContext } from './expr.js';
import type { BatchLookup } from './lookups.js';
import { RecordScope, type Evaluator, type Rec } from './scope.js';

/** Where `enrich` declarations report what cannot run (a lookup with no implementation, say). */
export type EnrichFailure = (pos: { file: string; line: number; col: number }, message: string) => never;

/**
 * The `enrich` lookups of a job: one batch stage run before the operators (one call per lookup per batch; only on
 * streams read straight from the source), and per enriching stream the step that puts the results on its records.
 * Results are kept beside the records (not written onto them: the source's records are shared by every stream)
 * until the enriching stream copies them onto its own records.
 */
export class EnrichPlan {
  /** Null when no stream the job builds enriches. */
  readonly stage: BatchStage<Rec> | null;
  /**
   * Lookup results of each enriching stream, per record of the batch the stage last ran on: the stage runs on a
   * batch, then that batch is replayed through the operators before the stage runs again, so each run starts from
   * empty maps. Not WeakMaps: ephemerons cost the GC dearly.
   */
  private readonly enriched = new Map<string, Map<Rec, Record<string, Value>>>();

  constructor(
    streams: readonly CheckedStream[],
    sourceName: string,
    lookups: ReadonlyMap<string, BatchLookup> | undefined,
    cx: ExprContext,
    fail: EnrichFailure,
  ) {
    interface Step {
      readonly where: ((s: RecordScope) => boolean) | null;
      readonly field: string;
      readonly args: readonly Evaluator[];
      readonly lookup: BatchLookup;
      readonly results: Map<Rec, Record<string, Value>>;
    }
    const steps: Step[] = [];
    for (const s of streams) {
      if (s.decl.enrich.length === 0) continue;
      const results = new Map<Rec, Record<string, Value>>();
      this.enriched.set(s.decl.name.name, results);
      for (const e of s.decl.enrich) {
        if (s.decl.from.name !== sourceName) fail(e.pos, "'enrich' is supported on streams read directly from the source");
        const lookup = lookups?.get(e.call.callee.name);
        if (lookup === undefined) fail(e.call.pos, `no implementation of lookup '${e.call.callee.name}' is configured`);
        steps.push({
          where: s.decl.where === null ? null : compileCondition(s.decl.where, cx),
          field: e.name.name,
          args: e.call.args.map((a) => compileExpr(a, cx)),
          lookup,
          results,
        });
      }
    }
    this.stage = steps.length === 0 ? null : enrichStage(steps, [...this.enriched.values()]);
  }

  /** The step of an enriching stream: passes the records whose lookups ran (they passed `where`), with the results. */
  copyStep(stream: string): ((r: Rec, ts: number, out: Output<Rec>) => void) | undefined {
    const enriched = this.enriched.get(stream);
    if (enriched === undefined) return undefined;
    return (r, ts, out) => {
      const fields = enriched.get(r);
      // Object.assign copies a parsed record several times faster than spread syntax does on V8.
      if (fields !== undefined) out.collect(Object.assign({}, r, fields), ts);
    };
  }
}

function enrichStage(
  steps: readonly {
    readonly where: ((s: RecordScope) => boolean) | null;
    readonly field: string;
    readonly args: readonly Evaluator[];
    readonly lookup: BatchLookup;
    readonly results: Map<Rec, Record<string, Value>>;
  }[],
  resultMaps: readonly Map<Rec, Record<string, Value>>[],
): BatchStage<Rec> {
  const scope = new RecordScope();
  return {
    async process(records, timestamps) {
      for (const results of resultMaps) results.clear();
      for (const step of steps) {
        const picked: Rec[] = [];
        const stamps: number[] = [];
        const args: Value[][] = [];
        for (let i = 0; i < records.length; i++) {
          const r = records[i] as Rec;
          scope.event = r;
          if (step.where !== null && !step.where(scope)) continue;
          picked.push(r);
          stamps.push(timestamps[i] as number);
          args.push(step.args.map((a) => a(scope)));
        }
        if (picked.length === 0) continue;
        const values = await step.lookup.lookup({ args, timestamps: stamps, records: picked });
        for (let i = 0; i < picked.length; i++) {
          const r = picked[i] as Rec;
          let fields = step.results.get(r);
          if (fields === undefined) {
            fields = {};
            step.results.set(r, fields);
          }
          fields[step.field] = values[i] ?? null;
        }
      }
    },
  };
}
