import { type BatchStage, type Output, plainRecordFactory } from '../../core/index.js';
import type * as A from '../ast.js';
import type { CheckedStream } from '../checked.js';
import type { Value } from '../functions.js';
import { printExpr } from '../print.js';
import { compileCondition, compileExpr, type ExprContext } from './expr.js';
import type { BatchLookup } from './lookups.js';
import { type Evaluator, type Rec, RecordScope } from './scope.js';

/** Where `enrich` declarations report what cannot run (a lookup with no implementation, say). */
export type EnrichFailure = (pos: { file: string; line: number; col: number }, message: string) => never;

interface Step {
  readonly field: string;
  readonly args: readonly Evaluator[];
  readonly lookup: BatchLookup;
}

const NO_RESULTS: ArrayLike<Value> = [];

/**
 * One enriching stream's lookups and the results of the batch the stage last ran on. The stage runs on a batch,
 * then exactly that batch is replayed through the operators, in the same order, before the stage runs again; the
 * copy step walks the replay with a cursor, so results are found by position (no map from record to result).
 */
class EnrichedStream {
  /** The batch the stage last ran on. */
  batch: readonly Rec[] = [];
  /** Per record of the batch: its index among the records that passed `where` (and were looked up), or -1. */
  picked = new Int32Array(0);
  /** Per step: one result per record that passed `where`. */
  readonly results: ArrayLike<Value>[];
  /** The next record of the batch the copy step expects. */
  cursor = 0;

  constructor(
    readonly name: string,
    /** The source the stream reads; null when the job reads one source (every record of the batch is its). */
    readonly source: string | null,
    readonly where: ((s: RecordScope) => boolean) | null,
    readonly steps: readonly Step[],
    /** The arguments every lookup of the stream takes, when they all take the same: the key its lookups are by. */
    readonly key: readonly A.Expr[] | null,
  ) {
    this.results = steps.map(() => NO_RESULTS);
  }
}

/**
 * The `enrich` lookups of a job (one call per lookup per batch, only for records that pass the stream's `where`),
 * and per enriching stream the step that puts the results on its records. Results are kept beside the records (not
 * written onto them: the source's records are shared by every stream) until the enriching stream copies them onto
 * its own records.
 *
 * A stream whose lookups all take the same arguments (`first_seen(plate, plate_color)`) is keyed by them: its
 * stage goes on an exchange by that key (`keyedStage`), so spread over processes each key's lookups run in the one
 * task that owns the key, in event-time order, and the source needs no lookups at all. The others run in the
 * source's `stage`, on streams read straight from the source.
 */
export class EnrichPlan {
  /** Null when no stream the job builds enriches. */
  readonly stage: BatchStage<Rec> | null;
  private readonly enriched = new Map<string, EnrichedStream>();

  /**
   * `sourceOf`: which source a record came from, when the job reads several (the batch holds all their records);
   * null when it reads one.
   */
  constructor(
    streams: readonly CheckedStream[],
    sourceNames: ReadonlySet<string>,
    private readonly sourceOf: ((r: Rec) => string) | null,
    lookups: ReadonlyMap<string, BatchLookup> | undefined,
    cx: ExprContext,
    fail: EnrichFailure,
  ) {
    for (const s of streams) {
      if (s.decl.enrich.length === 0) continue;
      const steps: Step[] = [];
      for (const e of s.decl.enrich) {
        // The copy step walks the source's records in order: a stream that also reads others (a union) cannot enrich.
        if (!sourceNames.has(s.decl.from.name) || s.decl.union.length > 0) fail(e.pos, "'enrich' is supported on streams read directly from the source");
        const lookup = lookups?.get(e.call.callee.name);
        if (lookup === undefined) fail(e.call.pos, `no implementation of lookup '${e.call.callee.name}' is configured`);
        steps.push({ field: e.name.name, args: e.call.args.map((a) => compileExpr(a, cx)), lookup });
      }
      const where = s.decl.where === null ? null : compileCondition(s.decl.where, cx);
      const args = s.decl.enrich.map((e) => e.call.args.map((a) => printExpr(a)).join('\u0000'));
      const key = args.every((a) => a === args[0]) && (s.decl.enrich[0]?.call.args.length ?? 0) > 0 ? (s.decl.enrich[0] as A.Enrich).call.args : null;
      this.enriched.set(s.decl.name.name, new EnrichedStream(s.decl.name.name, sourceOf === null ? null : s.decl.from.name, where, steps, key));
    }
    const atSource = [...this.enriched.values()].filter((e) => e.key === null);
    this.stage = atSource.length === 0 ? null : enrichStage(atSource, sourceOf);
  }

  /** The key a stream's lookups are by (their common arguments), or null when they run at the source. */
  lookupKey(stream: string): readonly A.Expr[] | null {
    return this.enriched.get(stream)?.key ?? null;
  }

  /** The stage of a stream keyed by its lookups' arguments: it goes on the exchange by that key. */
  keyedStage(stream: string): BatchStage<Rec> {
    const e = this.enriched.get(stream);
    if (e?.key == null) throw new Error(`internal: stream '${stream}' has no keyed lookups`);
    // In one task it runs at the source, on every source's records: it picks its own source's.
    return enrichStage([e], this.sourceOf);
  }

  /** The step of an enriching stream: passes the records whose lookups ran (they passed `where`), with the results. */
  copyStep(stream: string): ((r: Rec, ts: number, out: Output<Rec>) => void) | undefined {
    const e = this.enriched.get(stream);
    if (e === undefined) return undefined;
    const copier = new RecordCopier(e.steps.map((s) => s.field));
    const results = e.results;
    return (r, ts, out) => {
      // Records that failed `where` may have been dropped before this step (ahead of an exchange): skip them.
      let i = e.cursor;
      while (i < e.batch.length && e.batch[i] !== r && e.picked[i] === -1) i++;
      if (e.batch[i] !== r) throw new Error(`internal: stream '${e.name}' got a record its enrich stage did not see, or out of order`);
      e.cursor = i + 1;
      const p = e.picked[i] as number;
      if (p >= 0) out.collect(copier.copy(r, results, p), ts);
    };
  }
}

/**
 * Copies records onto new objects with the enrich fields added (result column s, entry p, as field s; null when
 * absent). Object.assign copies a parsed record several times faster than spread syntax does on V8. A copy
 * compiled per record shape was faster still, but it turned the record's field names, which come from the input,
 * into code: not done.
 */
class RecordCopier {
  /** Copies keep every field inside the object (see plainRecordFactory). */
  private readonly plain = plainRecordFactory();
  constructor(private readonly fields: readonly string[]) {}

  copy(r: Rec, results: readonly ArrayLike<Value>[], p: number): Rec {
    const o = Object.assign(this.plain(), r) as Record<string, Value | undefined>;
    const fields = this.fields;
    for (let s = 0; s < fields.length; s++) o[fields[s] as string] = (results[s] as ArrayLike<Value>)[p] ?? null;
    return o;
  }
}

function enrichStage(streams: readonly EnrichedStream[], sourceOf: ((r: Rec) => string) | null): BatchStage<Rec> {
  const scope = new RecordScope();
  return {
    async process(all, allTimestamps) {
      for (const e of streams) {
        // With several sources, a stream's copy step sees only its own source's records: so does its batch.
        let records = all;
        let timestamps = allTimestamps;
        if (sourceOf !== null && e.source !== null) {
          const own: Rec[] = [];
          const stamps: number[] = [];
          for (let i = 0; i < all.length; i++) {
            if (sourceOf(all[i] as Rec) !== e.source) continue;
            own.push(all[i] as Rec);
            stamps.push(allTimestamps[i] as number);
          }
          records = own;
          timestamps = stamps;
        }
        const n = records.length;
        e.batch = records;
        e.cursor = 0;
        if (e.picked.length < n) e.picked = new Int32Array(Math.max(n, 2 * e.picked.length));
        // Argument columns of every step, flattened: column k holds evaluator k's values.
        const evals: Evaluator[] = [];
        const columns: Value[][] = [];
        const stepColumns: Value[][][] = [];
        for (const step of e.steps) {
          const mine: Value[][] = [];
          for (const a of step.args) {
            const column: Value[] = [];
            evals.push(a);
            columns.push(column);
            mine.push(column);
          }
          stepColumns.push(mine);
        }
        const picked: Rec[] = [];
        const stamps: number[] = [];
        const where = e.where;
        const index = e.picked;
        for (let i = 0; i < n; i++) {
          const r = records[i] as Rec;
          scope.event = r;
          if (where !== null && !where(scope)) {
            index[i] = -1;
            continue;
          }
          index[i] = picked.length;
          picked.push(r);
          stamps.push(timestamps[i] as number);
          for (let k = 0; k < evals.length; k++) (columns[k] as Value[]).push((evals[k] as Evaluator)(scope));
        }
        scope.event = null;
        for (let s = 0; s < e.steps.length; s++) {
          if (picked.length === 0) {
            e.results[s] = NO_RESULTS;
            continue;
          }
          const step = e.steps[s] as Step;
          const values = await step.lookup.lookup({ args: stepColumns[s] as Value[][], timestamps: stamps, records: picked });
          if (values.length !== picked.length) throw new Error(`lookup for '${step.field}' answered ${values.length} of ${picked.length} records`);
          e.results[s] = values;
        }
      }
    },
  };
}
