/**
 * Runs one test case in-process: the same job graph `vigil run` / `vigil match` build, over the test's timeline as
 * an in-memory source, on a virtual clock, with every output collected in memory.
 */
import { createTask, declaredChecks, type LoadedProgram, lookupsFor, type RecordCheck } from '../../app/index.js';
import { ArraySource, CollectSink, type DeadLetter, type LateRecord, ManualClock, type Sink } from '../../core/index.js';
import { parseEventTime } from '../../core/time.js';
import type { Alert, CheckedProgram, CheckedSource, MatchRecord, Rec, Rule, Value } from '../../dsl/index.js';
import { DslError, type LinkedRule, linkRules } from '../../dsl/index.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import type { CheckpointRegistry } from '../../traffic/registry.js';
import type { Category, InputEntry, TestCase, TestFile } from './test-file.js';

/** What a run produced, per output category, as plain JSON data (what `vigil match` / `vigil run` would print). */
export type ActualOutputs = ReadonlyMap<Category, readonly unknown[]>;

/** The program and registry a test file runs against. */
export interface TestProgram {
  readonly loaded: LoadedProgram;
  readonly registry: CheckpointRegistry;
}

/** A problem with the test itself (unknown pattern, bad parameter, ...), positioned in the test file. */
export class TestSetupError extends Error {
  constructor(readonly errors: readonly DslError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

const CLOCK_LINE = '{"$clock":';

export async function runCase(file: TestFile, tc: TestCase, env: TestProgram): Promise<ActualOutputs> {
  const { program } = env.loaded;
  const at = (pos: { line: number; col: number }, message: string): DslError => new DslError(file.file, pos.line, pos.col, message);

  // What runs: one rule, one pattern (with its parameters bound), or only the streams.
  let rules: LinkedRule[] | undefined;
  let patterns: string[] | undefined;
  let runProgram: CheckedProgram = program;
  const target = tc.target;
  if (target.kind === 'rule') {
    const rule = env.loaded.allRules.find((r) => r.id === target.id);
    if (rule === undefined) {
      const known =
        env.loaded.allRules
          .map((r) => r.id)
          .sort()
          .join(', ') || 'none';
      throw new TestSetupError([at(target.pos, `rule: unknown rule '${target.id}' (rules: ${known})`)]);
    }
    const base = linkRules(program, [rule]).linked[0];
    if (base === undefined) throw new TestSetupError([at(target.pos, `rule '${target.id}' does not link to its pattern`)]);
    const overrides = bindParams(program, rule.pattern, file, tc, target.pos);
    const params: Record<string, Value> = { ...base.params };
    for (const name of Object.keys(tc.params)) params[name] = overrides[name] ?? null;
    // A test runs its rule even when the rule file disables it.
    rules = [{ rule: { ...rule, enabled: true }, params }];
  } else if (target.kind === 'pattern') {
    const checked = program.patterns.get(target.name);
    if (checked === undefined) {
      const known = [...program.patterns.keys()].sort().join(', ') || 'none';
      throw new TestSetupError([at(target.pos, `pattern: unknown pattern '${target.name}' (patterns: ${known})`)]);
    }
    const params = bindParams(program, target.name, file, tc, target.pos);
    // `vigil match` runs a pattern with its defaults: the test's overrides become the defaults of a copy.
    const patternsCopy = new Map(program.patterns);
    patternsCopy.set(target.name, { ...checked, params: checked.params.map((p) => ({ ...p, default: params[p.name] ?? p.default })) });
    runProgram = { ...program, patterns: patternsCopy };
    patterns = [target.name];
  }

  const streamSinks = new Map<string, CollectSink<Rec>>();
  const setup: DslError[] = [];
  for (const [category, list] of tc.expect.lists) {
    if (!category.startsWith('stream:')) continue;
    const name = category.slice('stream:'.length);
    if (program.streams.has(name) || program.lateStreams.has(name)) streamSinks.set(name, new CollectSink<Rec>());
    else {
      const known = [...program.streams.keys(), ...program.lateStreams.keys()].sort().join(', ') || 'none';
      setup.push(at(list.pos, `expect.streams: no stream '${name}' in the program (streams: ${known})`));
    }
  }
  if (setup.length > 0) throw new TestSetupError(setup);

  const bySource = tc.bySource;
  for (const name of bySource?.keys() ?? []) {
    if (!program.sources.has(name)) {
      const known = [...program.sources.keys()].sort().join(', ') || 'none';
      setup.push(at(tc.pos, `input: no source '${name}' in the program (sources: ${known})`));
    }
  }
  if (setup.length > 0) throw new TestSetupError(setup);

  const clock = new ManualClock(firstTime(tc.input, bySource === null ? eventTimeField(program) : null, program));
  const declared = tc.validate ? declaredChecks(env.registry) : null;
  // Every record passes here, validated (as its source declares) or not: processing time follows the feed, so
  // reading a record moves the clock to its event time (a feed with no lag).
  const checks = (source: CheckedSource): RecordCheck => {
    const validate = declared?.(source);
    const field = source.decl.eventTime.name;
    return (r, watermark) => {
      const reason = validate === undefined ? null : validate(r, watermark);
      if (reason === null) advance(clock, parseEventTime(r[field]));
      return reason;
    };
  };

  const out = new CollectSink<Alert | MatchRecord>();
  const late = new CollectSink<LateRecord>();
  const dead = new CollectSink<DeadLetter>();
  const store = new MemoryFirstSeenStore();
  // The job reads byte lines, as from a file or Kafka.
  const lines = (entries: readonly InputEntry[]): string[] => entries.map((e) => Buffer.from(toLine(e), 'utf8').toString('latin1'));
  const task = createTask({
    name: `test:${tc.name}`,
    program: runProgram,
    rules,
    patterns,
    // One entry per batch: idleness and the clock are judged between entries, as in a live feed.
    // Several sources are read in turn, one entry of each.
    source:
      bySource === null
        ? new ArraySource<string>(file.file, [lines(tc.input)], 1)
        : new Map([...bySource].map(([name, entries]) => [name, new ArraySource<string>(`${file.file}:${name}`, [lines(entries)], 1)])),
    checks,
    control: { prefix: CLOCK_LINE, handle: (line) => advance(clock, (JSON.parse(line) as { $clock: number }).$clock) },
    lookups: lookupsFor(store),
    outputs: {
      ...(patterns !== undefined ? { matches: out as Sink<MatchRecord> } : { alerts: out as Sink<Alert> }),
      streams: streamSinks,
      late,
      deadLetters: dead,
    },
    clock,
    unbounded: tc.unbounded,
  });
  try {
    await task.run();
  } finally {
    await task.close();
    await store.close();
  }

  const actual = new Map<Category, unknown[]>();
  if (patterns !== undefined) {
    const records = out.values as MatchRecord[];
    actual.set(
      'matches',
      records.flatMap((r) => ('match' in r ? [json(r.match)] : [])),
    );
    actual.set(
      'timeouts',
      records.flatMap((r) => ('timeout' in r ? [json(r.timeout)] : [])),
    );
  } else if (rules !== undefined) {
    actual.set('alerts', out.values.map(json));
  }
  actual.set(
    'late',
    late.values.map((l) => json({ operator: l.operator, timestamp: l.timestamp, record: l.record })),
  );
  actual.set(
    'dead_letters',
    dead.values.map((d) => json({ reason: d.reason, line: deadLetterEntry(tc, d)?.pos.line ?? null, raw: d.raw })),
  );
  for (const [name, sink] of streamSinks) actual.set(`stream:${name}`, sink.values.map(json));
  return actual;
}

/** Validates a test's parameter overrides against the pattern (types, names), positioned in the test file. */
function bindParams(program: CheckedProgram, pattern: string, file: TestFile, tc: TestCase, pos: { line: number; col: number }): Record<string, Value> {
  const probe: Rule = {
    id: 'test',
    file: file.file,
    pattern,
    description: '',
    enabled: true,
    severity: 'info',
    params: tc.params,
    routes: [],
    suppress: null,
    paramPositions: tc.paramPositions,
    patternPosition: pos,
  };
  const { linked, errors } = linkRules(program, [probe]);
  if (errors.length > 0 || linked[0] === undefined) throw new TestSetupError(errors);
  return { ...linked[0].params };
}

/** The event-time field of the program's one source (null when it has none or several). */
function eventTimeField(program: CheckedProgram): string | null {
  const sources = [...program.sources.values()];
  return sources.length === 1 ? (sources[0] as (typeof sources)[number]).decl.eventTime.name : null;
}

/**
 * The virtual clock starts at the timeline's first time, so the first record is not hours "after" the clock. With
 * inputs by source (field null), a record's time is read from any source's event time field.
 */
function firstTime(input: readonly InputEntry[], field: string | null, program: CheckedProgram): number {
  const fields = field !== null ? [field] : [...new Set([...program.sources.values()].map((s) => s.decl.eventTime.name))];
  for (const e of input) {
    if (e.kind === 'clock' || e.kind === 'watermark') return Math.max(0, e.ms);
    if (e.kind === 'record') {
      for (const f of fields) {
        const t = parseEventTime(e.record[f]);
        if (Number.isFinite(t)) return Math.max(0, t);
      }
    }
  }
  return 0;
}

/**
 * The input entry a dead letter came from. With inputs by source, a job reading several names the source in the
 * reason (`source 'bus': ...`); one reading one of them has only that one's offsets, found by the line's text.
 */
function deadLetterEntry(tc: TestCase, d: DeadLetter): InputEntry | undefined {
  if (tc.bySource === null) return tc.input[d.offset];
  const named = /^source '([^']+)': /.exec(d.reason)?.[1];
  if (named !== undefined) return tc.bySource.get(named)?.[d.offset];
  const candidates = [...tc.bySource.values()].map((entries) => entries[d.offset]);
  return candidates.find((e) => e !== undefined && toLine(e) === d.raw) ?? candidates.find((e) => e !== undefined);
}

function advance(clock: ManualClock, ms: number): void {
  if (Number.isFinite(ms) && ms > clock.now()) clock.set(ms);
}

function toLine(e: InputEntry): string {
  switch (e.kind) {
    case 'record':
      return JSON.stringify(e.record);
    case 'watermark':
      return JSON.stringify({ $watermark: e.ms });
    case 'clock':
      return `${CLOCK_LINE}${e.ms}}`;
    case 'raw':
      // One input line: a raw line with a newline in it would become two.
      return e.line.replace(/\r?\n/g, ' ');
  }
}

/** The value as `vigil match` / `vigil run` would print it (JSON), so tests compare what users see. */
function json(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}
