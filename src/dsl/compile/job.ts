import { CepOperator, type CepOutput } from '../../cep/cep-operator.js';
import { compile as compileNfa, type Match } from '../../cep/index.js';
import {
  type Clock,
  type DataStream,
  type DeadLetter,
  type Deserializer,
  describeBadEventTime,
  type EventTimeSpec,
  JobGraph,
  type Key,
  KeyedProcessOperator,
  type KeyedStream,
  type LateRecord,
  type Logger,
  MultiplexSource,
  OutputTag,
  type ParseContext,
  PreviousOperator,
  parseEventTime,
  plainRecordFactory,
  type Sink,
  type Source,
  session,
  sliding,
  tumbling,
  type WatermarkState,
  type WindowAssigner,
} from '../../core/index.js';
import type * as A from '../ast.js';
import { selectItemName } from '../ast.js';
import type { CheckedProgram, CheckedStream } from '../checked.js';
import { DslError } from '../errors.js';
import type { Value } from '../functions.js';
import { fieldsRead, prevCalls } from '../prev.js';
import { printExpr } from '../print.js';
import { type Alert, makeAlert, suppression, suppressionKey } from '../rules/alert.js';
import type { LinkedRule } from '../rules/link.js';
import type { Route, Rule } from '../rules/rule.js';
import { EnrichPlan } from './enrich.js';
import { compileCondition, compileExpr, type ExprContext } from './expr.js';
import { assignedIdentity, compareTies, identityCodec, setIdentity } from './identity.js';
import type { BatchLookup } from './lookups.js';
import { constantNumber, type PatternPlan, planPattern } from './pattern.js';
import { type Evaluator, type Rec, RecordScope } from './scope.js';
import { compileWindowSelect } from './window-select.js';

/** One line of `vigil match` output. */
export type MatchRecord = { readonly pattern: string; readonly match: Match<Rec> } | { readonly pattern: string; readonly timeout: Match<Rec> };

export interface JobOutputs {
  /** Every alert of every rule (embedded mode: --out). */
  readonly alerts?: Sink<Alert>;
  /** Per-route sinks (service mode); null for a route this process does not serve. */
  readonly route?: (rule: Rule, route: Route) => Sink<Alert> | null;
  /** Raw matches and timeouts (`vigil match`). */
  readonly matches?: Sink<MatchRecord>;
  /** Records of named streams (`--stream NAME`, the dashboard). */
  readonly streams?: ReadonlyMap<string, Sink<Rec>>;
  readonly late?: Sink<LateRecord>;
  readonly deadLetters?: Sink<DeadLetter>;
}

/** One source's input: byte lines, and line -> record; rejects go to the dead-letter output. */
export interface JobInput {
  readonly source: Source<string>;
  readonly parse: Deserializer<string, Record<string, unknown>>;
  /** How far a parsed record may move the watermark (see JobSpec.watermarkTime). */
  readonly watermarkTime?: (record: Record<string, unknown>, timestamp: number) => number;
  /** See JobSpec.watermarkBound and watermarkState. */
  readonly watermarkBound?: () => number;
  readonly watermarkState?: WatermarkState;
}

export interface JobSpec {
  readonly name?: string;
  readonly program: CheckedProgram;
  /** Run mode: these rules' patterns, alerts wrapped and suppressed per rule. */
  readonly rules?: readonly LinkedRule[];
  /** Match mode: these patterns with their default parameters, raw matches out. */
  readonly patterns?: readonly string[];
  /** The input of the one source the job reads: byte lines, and line -> record (parsing, mapping, validation). */
  readonly source?: Source<string>;
  readonly parse?: Deserializer<string, Record<string, unknown>>;
  /** The parser of a source's records by its name, when they differ by source (instead of `parse`). */
  readonly parseFor?: (source: string) => Deserializer<string, Record<string, unknown>>;
  /** Or an input per source, by source name: every source the job reads needs one; every one given is read. */
  readonly inputs?: ReadonlyMap<string, JobInput>;
  /**
   * How far a parsed record of the one source may move the watermark (the feed's camera-clock guard); its event
   * time by default. With several inputs, each input's own `watermarkTime`.
   */
  readonly watermarkTime?: (record: Record<string, unknown>, timestamp: number) => number;
  /**
   * The one source's out-of-orderness bound in effect now, when its feed measures it (camera clock correction): the
   * watermark holds min(the declared bound, this). With several inputs, each input's own.
   */
  readonly watermarkBound?: () => number;
  /** What that feed has learned, kept in checkpoints with the watermarks. */
  readonly watermarkState?: WatermarkState;
  readonly lookups?: ReadonlyMap<string, BatchLookup>;
  readonly outputs: JobOutputs;
  /** Processing time for `detected_at`. */
  readonly clock: Clock;
  readonly maxPartialMatchesPerKey?: number;
  /** Each pattern operator's budget of partial matches plus buffer entries over all its keys (see CepOperatorOptions). */
  readonly maxCepStateEntries?: number;
  /** Each pattern operator's budget of events kept for late events (allowed lateness; see CepOperatorOptions). */
  readonly maxCepKeptEvents?: number;
  /** Build every stream, read or not (the service, whose dashboard shows them all). Default: only those read. */
  readonly allStreams?: boolean;
  /** Where the CEP engine reports a key hitting the partial-match cap (once per key) or an operator its state budget. */
  readonly log?: Logger;
}

const KEY_SEPARATOR = '\u001f';

/**
 * What identifies a key: its expressions, and the parameters only when they name one (a pattern's parameters do
 * not change `key by plate, plate_color`, so patterns with different parameters still share a key selector and
 * an exchange).
 */
function keyId(exprs: readonly A.Expr[], cx: ExprContext): string {
  const text = exprs.map((e) => printExpr(e)).join('\u0000');
  const used = Object.keys(cx.params).filter((p) => new RegExp(`(^|[^A-Za-z0-9_])${p}($|[^A-Za-z0-9_])`).test(text));
  return used.length === 0 ? text : `${text}\u0000${JSON.stringify(used.map((p) => [p, cx.params[p]]))}`;
}

/**
 * Compiles a checked program into a job graph: source -> parse/validate -> watermark -> (enrich) -> streams and
 * patterns -> sinks. Operator uids are derived from declaration and rule names (`stream:flow_1m:window`,
 * `rule:cloned-plate:cep`), so savepoints restore by name into a changed rule set.
 */
/** A stream's `where` as a filter predicate. */
function recordFilter(where: A.Expr, cx: ExprContext): (r: Rec) => boolean {
  const test = compileCondition(where, cx);
  const scope = new RecordScope();
  return (r) => {
    scope.event = r;
    return test(scope);
  };
}

export function buildJob(spec: JobSpec): JobGraph {
  return new JobCompiler(spec).build();
}

class JobCompiler {
  private readonly graph: JobGraph;
  private readonly built = new Map<string, DataStream<Rec>>();
  private readonly lateTags = new Map<string, OutputTag<Rec>>();
  /** Key selectors by their expressions (and parameters): patterns keyed alike share one, and with it its cache. */
  private readonly keySelectors = new Map<string, (r: Rec) => Key>();
  /** Streams read from an exchange with nothing re-keying them since: the key id they are partitioned by. */
  private readonly partitionedBy = new Map<DataStream<Rec>, string>();
  /** Filters by input stream and condition (see `filtered`). */
  private readonly filters = new Map<string, DataStream<Rec>>();
  private readonly defaultPatterns = new Map<string, ReturnType<JobCompiler['patternStream']>>();
  /** Set once the source is built (the enrich stage runs in the source). */
  private enrich: EnrichPlan | null = null;
  private readonly program: CheckedProgram;
  private readonly baseCx: ExprContext;

  constructor(private readonly spec: JobSpec) {
    this.graph = new JobGraph(spec.name ?? 'vigil');
    this.program = spec.program;
    this.baseCx = { program: spec.program, params: {} };
  }

  build(): JobGraph {
    const { outputs } = this.spec;
    if (outputs.late !== undefined) this.graph.lateRecords(outputs.late);
    if (outputs.deadLetters !== undefined) this.graph.deadLetters(outputs.deadLetters);
    this.sourceStream();
    // Patterns first (per rule, or per `vigil match`): a stream may read a pattern's `late into` output.
    for (const linked of this.spec.rules ?? []) this.rule(linked);
    for (const name of this.spec.patterns ?? []) this.matchPattern(name);
    // Streams run when something reads them (a rule's pattern, `--stream`), or all of them when the job feeds a
    // dashboard: a batch replay does not pay for analytics nobody looks at.
    if (this.spec.allStreams === true) {
      for (const [name, stream] of this.program.streams) {
        if (!this.readsUnrunPattern(stream)) this.stream(name);
      }
    }
    for (const [name, sink] of outputs.streams ?? []) this.stream(name).to(`print:${name}`, sink);
    return this.graph;
  }

  /**
   * The streams the job will build: what the rules' and matched patterns read, `--stream` outputs, and what those
   * read, through the patterns read as streams (a pattern no rule names runs when a needed stream reads it).
   */
  private neededStreams(): Set<string> {
    if (this.spec.allStreams === true) return new Set(this.program.streams.keys());
    const needed = new Set<string>();
    const visitedPatterns = new Set<string>();
    const visit = (name: string): void => {
      if (needed.has(name)) return;
      const stream = this.program.streams.get(name);
      if (stream !== undefined) {
        needed.add(name);
        visit(stream.decl.from.name);
        for (const u of stream.decl.union) visit(u.name);
        return;
      }
      const pattern = this.program.patterns.get(name);
      if (pattern !== undefined) {
        if (!visitedPatterns.has(name)) {
          visitedPatterns.add(name);
          visit(pattern.decl.from.name);
        }
        return;
      }
      for (const p of this.program.lateStreams.get(name)?.producers ?? []) if (p.kind === 'stream') visit(p.name.name);
    };
    const patterns = [...(this.spec.rules ?? []).map((r) => r.rule.pattern), ...(this.spec.patterns ?? [])];
    for (const p of patterns) {
      const from = this.program.patterns.get(p)?.decl.from.name;
      if (from !== undefined) visit(from);
    }
    for (const name of this.spec.outputs.streams?.keys() ?? []) visit(name);
    return needed;
  }

  /** A stream over the late output of a pattern that no rule runs has no input: it is left out. */
  private readsUnrunPattern(stream: CheckedStream): boolean {
    return [stream.decl.from, ...stream.decl.union].some((input) => {
      const late = this.program.lateStreams.get(input.name);
      if (late !== undefined) return late.producers.some((p) => p.kind === 'pattern' && !this.built.has(`$late-producer:${late.name}`));
      const from = this.program.streams.get(input.name);
      return from !== undefined && this.readsUnrunPattern(from);
    });
  }

  private fail(pos: A.Pos, message: string): never {
    throw new DslError(pos.file, pos.line, pos.col, message);
  }

  // ------------------------------------------------------------------ source

  /**
   * The sources the job reads: those its rules' and matched patterns' inputs and its `--stream` outputs lead back
   * to (every source when it builds every stream), in declaration order.
   */
  private neededSources(): string[] {
    const all = [...this.program.sources.keys()];
    if (this.spec.allStreams === true) return all;
    const found = new Set<string>();
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      if (this.program.sources.has(name)) {
        found.add(name);
        return;
      }
      const stream = this.program.streams.get(name);
      if (stream !== undefined) {
        for (const i of [stream.decl.from, ...stream.decl.union]) visit(i.name);
        return;
      }
      const pattern = this.program.patterns.get(name);
      if (pattern !== undefined) {
        visit(pattern.decl.from.name);
        return;
      }
      for (const p of this.program.lateStreams.get(name)?.producers ?? []) visit(p.kind === 'stream' ? p.name.name : p.from.name);
    };
    for (const p of [...(this.spec.rules ?? []).map((r) => r.rule.pattern), ...(this.spec.patterns ?? [])]) visit(p);
    for (const name of this.spec.outputs.streams?.keys() ?? []) visit(name);
    return all.filter((n) => found.has(n));
  }

  /** Builds the source node: one source as it always was, or several read as one (see multiSourceStream). */
  private sourceStream(): DataStream<Rec> {
    const existing = this.built.get('$source');
    if (existing !== undefined) return existing;
    const declared = [...this.program.sources.values()];
    const nowhere = { file: '<program>', line: 1, col: 1 };
    if (declared.length === 0) this.fail(nowhere, 'the program declares no source');
    let needed = this.neededSources();
    const { inputs } = this.spec;
    if (inputs === undefined) {
      // One input feeds one source: the one the job reads, or the program's only one.
      if (needed.length > 1) {
        const second = this.program.sources.get(needed[1] as string)?.decl.pos ?? nowhere;
        this.fail(second, `this job reads the sources ${needed.map((n) => `'${n}'`).join(', ')} but has one input; give an input per source`);
      }
      if (needed.length === 0) {
        if (declared.length > 1)
          this.fail(
            declared[1]?.decl.pos ?? nowhere,
            `the program declares the sources ${declared.map((d) => `'${d.decl.name.name}'`).join(', ')} but the job has one input; give an input per source`,
          );
        needed = [(declared[0] as (typeof declared)[number]).decl.name.name];
      }
      const { source } = this.spec;
      const parse = this.spec.parseFor?.(needed[0] as string) ?? this.spec.parse;
      if (source === undefined || parse === undefined) throw new Error('internal: a job needs `source` and `parse`, or `inputs`');
      return this.singleSourceStream(needed[0] as string, { source, parse });
    }
    // Every input given is read (its records validated, its dead letters reported), whether or not a rule needs it.
    needed = declared.map((d) => d.decl.name.name).filter((n) => needed.includes(n) || inputs.has(n));
    if (needed.length === 0) needed = [(declared[0] as (typeof declared)[number]).decl.name.name];
    for (const name of needed) {
      if (!inputs.has(name))
        this.fail(this.program.sources.get(name)?.decl.pos ?? nowhere, `this job reads the source '${name}', but no input is given for it`);
    }
    if (needed.length === 1) return this.singleSourceStream(needed[0] as string, inputs.get(needed[0] as string) as JobInput);
    return this.multiSourceStream(needed, inputs);
  }

  private watermarkOf(decl: A.SourceDecl): { outOfOrdernessMs: number; idleTimeoutMs?: number } {
    const constant = (e: A.Expr | null, what: string, fallback: number): number => (e === null ? fallback : constantNumberAllowZero(e, this.baseCx, what));
    return {
      outOfOrdernessMs: constant(decl.watermark, '`watermark`', 0),
      ...(decl.idleAfter === null ? {} : { idleTimeoutMs: constant(decl.idleAfter, '`idle after`', 0) }),
    };
  }

  private singleSourceStream(name: string, input: JobInput): DataStream<Rec> {
    const decl = (this.program.sources.get(name) as { decl: A.SourceDecl }).decl;
    const single = this.spec.inputs === undefined;
    const watermarkTime = input.watermarkTime ?? (single ? this.spec.watermarkTime : undefined);
    const currentBound = input.watermarkBound ?? (single ? this.spec.watermarkBound : undefined);
    const state = input.watermarkState ?? (single ? this.spec.watermarkState : undefined);
    const field = decl.eventTime.name;
    const eventTime: EventTimeSpec<Record<string, unknown>> = {
      // ISO-8601 event times become epoch ms in place, so expressions always see numbers.
      extract: (r) => {
        const raw = r[field];
        const t = parseEventTime(raw);
        if (typeof raw === 'string' && !Number.isNaN(t)) r[field] = t;
        return t;
      },
      describe: (r) => describeBadEventTime(field, r[field]),
      // Records of one millisecond go through lookups in id order, whatever order they arrived in.
      compareTies: compareTies as (a: Record<string, unknown>, b: Record<string, unknown>) => number,
    };
    const stage = this.enrichPlan(new Set([name]), null).stage;
    const stream = this.graph.source<string, Rec>(`source:${name}`, {
      source: input.source,
      deserialize: input.parse as Deserializer<string, Rec>,
      eventTime: eventTime as EventTimeSpec<Rec>,
      watermarks: {
        ...this.watermarkOf(decl),
        ...(watermarkTime === undefined ? {} : { watermarkTime: watermarkTime as (record: unknown, timestamp: number) => number }),
        ...(currentBound === undefined ? {} : { currentBound }),
        ...(state === undefined ? {} : { state }),
      },
      ...(stage === null ? {} : { stage }),
    });
    this.built.set('$source', stream);
    this.built.set(name, stream);
    return stream;
  }

  /**
   * Several sources in one job: their inputs are read as one source node (one task), each with its own parser,
   * event time field and watermark bound; every record is tagged with its source and each source's stream is
   * that source's records. As at a Flink union of all the sources, the job's watermark is the minimum over every
   * input partition (an input that ended, or is idle past its `idle after`, stops holding it back).
   */
  private multiSourceStream(names: readonly string[], inputs: ReadonlyMap<string, JobInput>): DataStream<Rec> {
    const decls = names.map((n) => (this.program.sources.get(n) as { decl: A.SourceDecl }).decl);
    const mux = new MultiplexSource(names.map((n) => (inputs.get(n) as JobInput).source));
    const parsers = names.map((n) => (inputs.get(n) as JobInput).parse);
    const fields = decls.map((d) => d.eventTime.name);
    const marks = decls.map((d) => this.watermarkOf(d));
    // Which source a record came from, for the per-source streams and the enrich stage (records outlive a batch).
    const tags = new WeakMap<Record<string, unknown>, number>();
    let wrapped: { inner: ParseContext<Record<string, unknown>>; outer: ParseContext<Record<string, unknown>> } | undefined;
    const tagging = (ctx: ParseContext<Record<string, unknown>>): ParseContext<Record<string, unknown>> => {
      if (wrapped?.inner !== ctx) {
        wrapped = {
          inner: ctx,
          outer: {
            record: (r) => {
              tags.set(r, mux.current);
              ctx.record(r);
            },
            watermark: (ts) => ctx.watermark(ts),
            deadLetter: (reason) => ctx.deadLetter(`source '${names[mux.current]}': ${reason}`),
          },
        };
      }
      return wrapped.outer;
    };
    const deserialize: Deserializer<string, Record<string, unknown>> = (line, ctx) => (parsers[mux.current] as JobInput['parse'])(line, tagging(ctx));
    const sourceOfRecord = (r: Record<string, unknown>): number => tags.get(r) ?? mux.current;
    const eventTime: EventTimeSpec<Record<string, unknown>> = {
      extract: (r) => {
        const field = fields[sourceOfRecord(r)] as string;
        const raw = r[field];
        const t = parseEventTime(raw);
        if (typeof raw === 'string' && !Number.isNaN(t)) r[field] = t;
        return t;
      },
      describe: (r) => {
        const i = sourceOfRecord(r);
        return `source '${names[i]}': ${describeBadEventTime(fields[i] as string, r[fields[i] as string])}`;
      },
      compareTies: compareTies as (a: Record<string, unknown>, b: Record<string, unknown>) => number,
    };
    const stage = this.enrichPlan(new Set(names), (r) => names[sourceOfRecord(r)] as string).stage;
    const strictest = Math.max(...marks.map((m) => m.outOfOrdernessMs));
    const stream = this.graph.source<string, Rec>(`source:${names.join('+')}`, {
      source: mux,
      deserialize: deserialize as Deserializer<string, Rec>,
      eventTime: eventTime as EventTimeSpec<Rec>,
      watermarks: { outOfOrdernessMs: strictest, perPartition: (p) => marks[mux.inputOf(p)] },
      ...(stage === null ? {} : { stage }),
    });
    this.built.set('$source', stream);
    names.forEach((name, i) => {
      this.built.set(
        name,
        stream.filter(`source:${name}:records`, (r) => tags.get(r) === i),
      );
    });
    return stream;
  }

  /** `enrich` lookups, only for streams the job will build: a replay without the first-entry rule pays nothing. */
  private enrichPlan(sources: ReadonlySet<string>, sourceOf: ((r: Rec) => string) | null): EnrichPlan {
    const needed = this.neededStreams();
    const streams = [...this.program.streams.values()].filter((s) => needed.has(s.decl.name.name));
    this.enrich = new EnrichPlan(streams, sources, sourceOf, this.spec.lookups, this.baseCx, (pos, message) => this.fail(pos, message));
    return this.enrich;
  }

  // ------------------------------------------------------------------ streams

  /** The DataStream of a source, stream or late stream, built once. */
  private stream(name: string): DataStream<Rec> {
    const done = this.built.get(name);
    if (done !== undefined) return done;
    if (this.program.sources.has(name)) {
      this.sourceStream();
      const built = this.built.get(name);
      if (built === undefined)
        this.fail(this.program.sources.get(name)?.decl.pos ?? { file: '<program>', line: 1, col: 1 }, `this job has no input for the source '${name}'`);
      return built;
    }
    const late = this.program.lateStreams.get(name);
    if (late !== undefined) {
      if (late.producers.length !== 1) {
        this.fail(
          late.producers[1]?.pos ?? { file: '<program>', line: 1, col: 1 },
          `late stream '${name}' has several producers; give each its own 'late into' name`,
        );
      }
      const producer = late.producers[0] as A.StreamDecl | A.PatternDecl;
      // The producer must exist for its side output to: build it (patterns are built by their rules).
      if (producer.kind === 'stream') this.stream(producer.name.name);
      const producerStream = this.built.get(`$late-producer:${name}`);
      if (producerStream === undefined)
        this.fail(producer.pos, `late stream '${name}' is produced by pattern '${producer.name.name}', which no enabled rule runs`);
      const s = producerStream.sideOutput(this.lateTag(name));
      this.built.set(name, s);
      return s;
    }
    if (this.program.patterns.has(name)) return this.patternRecords(name);
    const checked = this.program.streams.get(name);
    if (checked === undefined) throw new Error(`internal: unknown stream '${name}'`);
    const s = this.compileStream(checked);
    this.built.set(name, s);
    return s;
  }

  private lateTag(name: string): OutputTag<Rec> {
    let tag = this.lateTags.get(name);
    if (tag === undefined) {
      tag = new OutputTag<Rec>(`late:${name}`);
      this.lateTags.set(name, tag);
    }
    return tag;
  }

  private compileStream(checked: CheckedStream): DataStream<Rec> {
    const decl = checked.decl;
    const name = decl.name.name;
    const cx = this.baseCx;
    let s = this.stream(decl.from.name);
    // A union is one operator whose watermark is the minimum of its inputs' (Flink's union).
    if (decl.union.length > 0) s = s.union(`stream:${name}:union`, ...decl.union.map((u) => this.stream(u.name)));
    const copyEnriched = this.enrich?.copyStep(name);
    const lookupKey = this.enrich?.lookupKey(name) ?? null;
    if (copyEnriched !== undefined && lookupKey !== null) {
      // Lookups by one key run behind an exchange by it (see EnrichPlan); what `where` drops never travels.
      if (decl.where !== null) s = this.filtered(s, name, decl.where, cx);
      const id = keyId(lookupKey, cx);
      const keyed = s.keyBy(this.keySelector(lookupKey, cx), `${name}:lookup:by:${id.replaceAll('\u0000', ',')}`, (this.enrich as EnrichPlan).keyedStage(name));
      s = keyed.partitionedStream(`stream:${name}:enrich`).flatMap<Rec>(`stream:${name}:enrich`, copyEnriched);
      this.partitionedBy.set(s, id);
    } else if (copyEnriched !== undefined) {
      // The stage evaluated `where` already: a record has lookup results exactly when it passed.
      s = s.flatMap<Rec>(`stream:${name}:enrich`, copyEnriched);
    } else if (decl.where !== null) {
      s = this.filtered(s, name, decl.where, cx);
    }
    if (decl.window !== null && decl.select !== null) {
      const windowed = compileWindowSelect(decl.select, cx, name);
      const lateTag = decl.lateInto === null ? undefined : this.lateTag(decl.lateInto.name);
      // Streams keyed alike straight off one stream share one exchange, named by what it keys and by what, so the
      // name (a repartition topic when the job is spread) stays when rules come and go.
      const direct = decl.union.length === 0 && s === this.stream(decl.from.name);
      const exchange = direct ? `${decl.from.name}:by:${decl.keyBy.map((e) => printExpr(e)).join(',')}` : undefined;
      const keyed = this.keyStream(s, decl.keyBy, cx, exchange);
      const out = keyed.window(`stream:${name}:window`, {
        assigner: this.assigner(decl.window),
        aggregate: windowed.aggregate,
        result: windowed.result,
        allowedLateness: decl.allowedLateness === null ? 0 : constantNumberAllowZero(decl.allowedLateness, cx, '`allowed lateness`'),
        ...(lateTag === undefined ? {} : { lateTag }),
      });
      if (decl.lateInto !== null) this.built.set(`$late-producer:${decl.lateInto.name}`, out);
      return out;
    }
    if (decl.select !== null && decl.keep !== null && decl.keyBy.length > 0) {
      const prevs = prevCalls(decl.select.items.map((i) => i.expr));
      if (prevs.length > 0) return this.previousSelect(s, decl, decl.select, decl.keep, prevs);
    }
    if (decl.select !== null) return s.map(`stream:${name}:select`, projection(decl.select, cx));
    return s;
  }

  /**
   * A select with `prev(x)`: keyed, in event-time order at the watermark (ties by record id), each record with the
   * values of its key's previous record. A record within `allowed lateness` is emitted at once and its key's next
   * record again (`update: true`); later ones go to the late output (and `late into`).
   */
  private previousSelect(s: DataStream<Rec>, decl: A.StreamDecl, select: A.Select, keep: A.Expr, prevs: readonly A.Call[]): DataStream<Rec> {
    const name = decl.name.name;
    const slots = new Map(prevs.map((p, i) => [p, i]));
    const scope = new PreviousScope();
    const cx: ExprContext = {
      ...this.baseCx,
      prevValue: (node) => {
        const slot = slots.get(node) as number;
        return () => scope.previous?.[slot] ?? null;
      },
    };
    // The argument of prev(x) is evaluated on each record, for the next one of its key.
    const args = prevs.map((p) => compileExpr(p.args[0] as A.Expr, this.baseCx));
    const argScope = new RecordScope();
    const remember = (r: Rec): Value[] => {
      argScope.event = r;
      return args.map((a) => a(argScope));
    };
    const project = projection(select, cx, scope);
    const emit = (r: Rec, previous: Value[] | null, update: boolean): Rec => {
      scope.previous = previous;
      const out = project(r);
      // A record whose previous record came late is emitted again, marked as a window's re-firing is.
      if (update) (out as Record<string, Value>)['update'] = true;
      return out;
    };
    const lateTag = decl.lateInto === null ? undefined : this.lateTag(decl.lateInto.name);
    const keepMs = constantNumber(keep, this.baseCx, 'keep');
    const keyed = this.keyStream(s, decl.keyBy, this.baseCx, undefined);
    const out = keyed.transform(
      `stream:${name}:prev`,
      (key) =>
        new PreviousOperator<Rec, Value[], Rec>({
          uid: `stream:${name}:prev`,
          key,
          tie: compareTies as (a: unknown, b: unknown) => number,
          keepMs,
          ...(decl.allowedLateness === null ? {} : { allowedLatenessMs: constantNumberAllowZero(decl.allowedLateness, this.baseCx, '`allowed lateness`') }),
          remember,
          emit,
          ...(select.star ? {} : { keepValue: keptFields([...select.items.map((i) => i.expr), ...decl.keyBy]) }),
          // The records a prev() stream keeps for late ones are bounded like a pattern's kept events.
          ...(this.spec.maxCepKeptEvents === undefined ? {} : { maxKept: this.spec.maxCepKeptEvents }),
          ...(lateTag === undefined ? {} : { lateTag }),
        }),
    );
    if (decl.lateInto !== null) this.built.set(`$late-producer:${decl.lateInto.name}`, out);
    return out;
  }

  private assigner(w: A.WindowClause): WindowAssigner {
    const cx = this.baseCx;
    switch (w.kind) {
      case 'tumbling':
        return tumbling(constantNumber(w.size, cx, 'window size'), w.offset === null ? 0 : constantSigned(w.offset, cx));
      case 'sliding':
        return sliding(
          constantNumber(w.size, cx, 'window size'),
          constantNumber(w.slide, cx, 'window slide'),
          w.offset === null ? 0 : constantSigned(w.offset, cx),
        );
      case 'session':
        return session(constantNumber(w.gap, cx, 'session gap'));
    }
  }

  /**
   * `where` on a stream. Streams that filter one input by the same condition share the filter, and so any exchange
   * after it: `plates` and `sightings` (both `from passes where plate_readable`, keyed by vehicle) cross one
   * repartition topic, not two.
   */
  private filtered(s: DataStream<Rec>, name: string, where: A.Expr, cx: ExprContext): DataStream<Rec> {
    const id = `${s.ref.node}\u0000${s.ref.tag ?? ''}\u0000${printExpr(where)}`;
    let out = this.filters.get(id);
    if (out === undefined) {
      out = s.filter(`stream:${name}:where`, recordFilter(where, cx));
      this.filters.set(id, out);
    }
    return out;
  }

  /** Keys `s` by `exprs`: through an exchange (named `exchange`), or none when `s` is partitioned by them already. */
  private keyStream(s: DataStream<Rec>, exprs: readonly A.Expr[], cx: ExprContext, exchange: string | undefined): KeyedStream<Rec> {
    const key = this.keySelector(exprs, cx);
    return this.partitionedBy.get(s) === keyId(exprs, cx) ? s.reinterpretAsKeyed(key) : s.keyBy(key, exchange);
  }

  /**
   * Keys are strings: one key expression's value, or several joined by a unit separator. Null when any is null.
   * Selectors of the same expressions are one function that remembers the last record's key: cloned_plate and hop
   * both key every sighting by plate and colour, and then build, flatten and hash one key string, not two.
   */
  private keySelector(exprs: readonly A.Expr[], cx: ExprContext): (r: Rec) => Key {
    const id = keyId(exprs, cx);
    const known = this.keySelectors.get(id);
    if (known !== undefined) return known;
    const select = keySelectorOf(exprs, cx);
    let lastRecord: Rec | null = null;
    let lastKey: Key = NULL_KEY;
    const cached = (r: Rec): Key => {
      if (r !== lastRecord) {
        lastKey = select(r);
        lastRecord = r;
      }
      return lastKey;
    };
    this.keySelectors.set(id, cached);
    return cached;
  }

  // ------------------------------------------------------------------ patterns

  private patternStream(
    patternName: string,
    uidPrefix: string,
    params: Readonly<Record<string, Value>>,
    withTimeouts: boolean,
  ): {
    compiled: PatternPlan;
    matches: DataStream<CepOutput<Rec>>;
    timeouts: DataStream<CepOutput<Rec>> | null;
  } {
    const checked = this.program.patterns.get(patternName);
    if (checked === undefined) throw new Error(`internal: unknown pattern '${patternName}'`);
    const decl = checked.decl;
    const cx: ExprContext = { program: this.program, params };
    const compiled = planPattern(checked, cx);
    const nfa = compileNfa(compiled.pattern, {
      ...(this.spec.maxPartialMatchesPerKey === undefined ? {} : { maxPartialMatchesPerKey: this.spec.maxPartialMatchesPerKey }),
      ...(this.spec.log === undefined ? {} : { logger: this.spec.log }),
      timeouts: withTimeouts,
    });
    const input = this.stream(decl.from.name);
    const key = this.keySelector(decl.keyBy, cx);
    // A record whose key is null (an unreadable plate, say) never keys a pattern: it is dropped after the change of
    // key, so patterns keyed alike on one stream (cloned_plate and hop on plates) share one exchange, named by what
    // it keys and by what. The key selector remembers the last record's key: the filter does not evaluate it again.
    const exchange = `${decl.from.name}:by:${keyId(decl.keyBy, cx).replaceAll('\u0000', ',')}`;
    const keyed = this.keyStream(input, decl.keyBy, cx, exchange).filter(`${uidPrefix}:keyed`, (r) => key(r) !== NULL_KEY);
    const lateTag = decl.lateInto === null ? undefined : this.lateTag(decl.lateInto.name);
    const timeoutTag = withTimeouts ? new OutputTag<CepOutput<Rec>>(`${uidPrefix}:timeouts`) : undefined;
    const allowedLatenessMs = decl.allowedLateness === null ? 0 : constantNumberAllowZero(decl.allowedLateness, cx, '`allowed lateness`');
    const matches = keyed.transform(
      `${uidPrefix}:cep`,
      (k) =>
        new CepOperator<Rec>({
          uid: `${uidPrefix}:cep`,
          key: k,
          nfa,
          // Events of one timestamp enter the NFA in id order (Flink's EventComparator), so which of two
          // simultaneous records a match takes does not depend on their arrival; window results keep their
          // identity through snapshots.
          compareTies,
          codec: identityCodec,
          ...(allowedLatenessMs === 0 ? {} : { allowedLatenessMs }),
          ...(this.spec.maxCepStateEntries === undefined ? {} : { maxStateEntries: this.spec.maxCepStateEntries }),
          ...(this.spec.maxCepKeptEvents === undefined ? {} : { maxKeptEvents: this.spec.maxCepKeptEvents }),
          ...(this.spec.log === undefined ? {} : { logger: this.spec.log }),
          ...(lateTag === undefined ? {} : { lateTag }),
          ...(timeoutTag === undefined ? {} : { timeoutTag }),
        }),
    );
    // The first operator of a pattern provides its `late into` stream (a rule's, or else the one read as a stream).
    const producer = decl.lateInto === null ? null : `$late-producer:${decl.lateInto.name}`;
    if (producer !== null && !this.built.has(producer)) this.built.set(producer, matches as unknown as DataStream<Rec>);
    return { compiled, matches, timeouts: timeoutTag === undefined ? null : matches.sideOutput(timeoutTag) };
  }

  /**
   * A pattern with its default parameters, one operator (uid `pattern:<name>:cep`) shared by `vigil match` and the
   * streams that read the pattern; with timeouts only when `vigil match` prints them.
   */
  private defaultPattern(name: string): ReturnType<JobCompiler['patternStream']> {
    const done = this.defaultPatterns.get(name);
    if (done !== undefined) return done;
    const checked = this.program.patterns.get(name);
    if (checked === undefined) throw new Error(`internal: unknown pattern '${name}'`);
    const defaults: Record<string, Value> = {};
    for (const p of checked.params) defaults[p.name] = p.default;
    const built = this.patternStream(name, `pattern:${name}`, defaults, (this.spec.patterns ?? []).includes(name));
    this.defaultPatterns.set(name, built);
    return built;
  }

  /**
   * A pattern read as a stream: one record per match, the payload its `emit` builds, at the match's event time
   * (its last event). The CEP operator emits a match when the watermark passes that event, before it forwards the
   * watermark, so the records are never behind the watermark of the stream that reads them.
   */
  private patternRecords(name: string): DataStream<Rec> {
    const { compiled, matches } = this.defaultPattern(name);
    const s = matches.map<Rec>(`pattern:${name}:records`, (o) => compiled.emit(o.match) as Rec);
    this.built.set(name, s);
    return s;
  }

  private matchPattern(name: string): void {
    const sink = this.spec.outputs.matches;
    const { matches, timeouts } = this.defaultPattern(name);
    if (sink === undefined) return;
    matches.map<MatchRecord>(`pattern:${name}:format`, (o) => ({ pattern: name, match: o.match })).to(`pattern:${name}:out`, sink);
    timeouts?.map<MatchRecord>(`pattern:${name}:format-timeouts`, (o) => ({ pattern: name, timeout: o.match })).to(`pattern:${name}:out-timeouts`, sink);
  }

  private rule(linked: LinkedRule): void {
    const rule = linked.rule;
    const prefix = `rule:${rule.id}`;
    const hasTimeoutEmit = this.program.patterns.get(rule.pattern)?.decl.onTimeout != null;
    const { compiled, matches, timeouts } = this.patternStream(rule.pattern, prefix, linked.params, hasTimeoutEmit);
    const clock = this.spec.clock;
    let alerts = matches.map<Alert>(`${prefix}:alert`, (o, ts) =>
      makeAlert(rule, alertKey(o.key), ts, clock.now(), compiled.emit(o.match), o.match as Record<string, Value[]>, false, o.late === true),
    );
    const onTimeout = compiled.onTimeout;
    if (timeouts !== null && onTimeout !== null) {
      // Timeout alerts join the rule's alerts downstream of the CEP operator: both feed the same suppression.
      const timeoutAlerts = timeouts.map<Alert>(`${prefix}:timeout-alert`, (o, ts) =>
        makeAlert(rule, alertKey(o.key), ts, clock.now(), onTimeout(o.match), o.match as Record<string, Value[]>, true, o.late === true),
      );
      alerts = alerts.union(`${prefix}:alerts`, timeoutAlerts);
    }
    const suppress = rule.suppress;
    if (suppress !== null) {
      alerts = alerts
        .keyBy((a) => suppressionKey(a, suppress.key))
        .transform(`${prefix}:suppress`, (key) => new KeyedProcessOperator<Alert, Alert>({ uid: `${prefix}:suppress`, key }, suppression(suppress.forMs)));
    }
    const { outputs: sinks } = this.spec;
    if (sinks.alerts !== undefined) alerts.to(`${prefix}:out`, sinks.alerts);
    rule.routes.forEach((route, i) => {
      const sink = sinks.route?.(rule, route);
      if (sink !== null && sink !== undefined) alerts.to(`${prefix}:route:${i}`, sink);
    });
  }
}

const NULL_KEY = '\u0000null';

/** An alert's key as people read it (and Kafka partitions by it): the key's parts joined by `|`, e.g. `浙A12345|blue`. */
function alertKey(key: Key): string {
  return typeof key === 'string' ? key.replaceAll(KEY_SEPARATOR, '|') : String(key);
}

function keySelectorOf(exprs: readonly A.Expr[], cx: ExprContext): (r: Rec) => Key {
  const evals = exprs.map((e) => compileExpr(e, cx));
  const scope = new RecordScope();
  if (evals.length === 1) {
    const [only] = evals as [Evaluator];
    return (r) => {
      scope.event = r;
      return keyPart(only(scope));
    };
  }
  return (r) => {
    scope.event = r;
    let key = '';
    for (let i = 0; i < evals.length; i++) key += (i === 0 ? '' : KEY_SEPARATOR) + keyPart((evals[i] as Evaluator)(scope));
    return key;
  };
}

function keyPart(v: Value): string {
  if (v === null) return NULL_KEY;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * What a prev() stream keeps of a record for late ones: the fields its select and keys read, its id and identity
 * (the tie order), not the whole capture.
 */
function keptFields(exprs: readonly A.Expr[]): (r: Rec) => Rec {
  const names = [...fieldsRead(exprs), 'id'];
  const plain = plainRecordFactory();
  return (r) => {
    const out = plain() as Record<string, Value | undefined>;
    for (const n of names) if (r[n] !== undefined) out[n] = r[n];
    const identity = assignedIdentity(r);
    if (identity !== undefined) setIdentity(out, identity);
    return out;
  };
}

/** The scope of a select with prev(): the record, and the values its key's previous record left (null: none). */
class PreviousScope extends RecordScope {
  previous: readonly Value[] | null = null;
}

/** A non-window select: the named items, or every field plus the items for `select *`. */
function projection(select: A.Select, cx: ExprContext, scope: RecordScope = new RecordScope()): (r: Rec) => Rec {
  const names = select.items.map((item, i) => selectItemName(item, i));
  const evals = select.items.map((item) => compileExpr(item.expr, cx));
  const star = select.star;
  const plain = plainRecordFactory();
  return (r) => {
    scope.event = r;
    const out = (star ? Object.assign(plain(), r) : plain()) as Record<string, Value | undefined>;
    for (let i = 0; i < names.length; i++) out[names[i] as string] = (evals[i] as Evaluator)(scope);
    return out;
  };
}

function constantNumberAllowZero(e: A.Expr, cx: ExprContext, what: string): number {
  const v = compileExpr(e, cx)(new RecordScope());
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new DslError(e.pos.file, e.pos.line, e.pos.col, `${what} must be a duration of 0 or more, got ${JSON.stringify(v)}`);
  }
  return v;
}

function constantSigned(e: A.Expr, cx: ExprContext): number {
  const v = compileExpr(e, cx)(new RecordScope());
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new DslError(e.pos.file, e.pos.line, e.pos.col, `window offset must be a duration, got ${JSON.stringify(v)}`);
  return v;
}
