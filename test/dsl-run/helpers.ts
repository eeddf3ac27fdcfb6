import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPaths, type EmbeddedSummary, firstSeenLookup, loadProgram, loadRegistry, runEmbedded } from '../../src/app/index.js';
import { ManualClock } from '../../src/core/index.js';
import { MemoryFirstSeenStore } from '../../src/io/first-seen/memory-store.js';
import { TRAFFIC_RECORD_SCHEMA } from '../../src/traffic/index.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const registry = loadRegistry(defaultPaths.checkpoints);

/** 2026-03-02T00:00:00Z: event times in the inputs are offsets from here. */
export const T0 = Date.UTC(2026, 2, 2);
export const s = (n: number): number => n * 1000;
export const m = (n: number): number => n * 60_000;

// One in-process CLI io and temp-dir helper for all CLI tests.
import { captureIo, tempDir } from '../cli/helpers.js';

export type { CapturedIo } from '../cli/helpers.js';
export { captureIo, tempDir };

export const ndjson = (records: readonly unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
export const parseLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

export interface RunResult {
  readonly summary: EmbeddedSummary;
  /** Matches / timeouts (match mode) or alerts (rule mode), in output order. */
  readonly outputs: Record<string, unknown>[];
  /** `--stream NAME` records by stream name, in output order, without the `stream` tag. */
  readonly streams: Record<string, Record<string, unknown>[]>;
  /** The run's late output. */
  readonly late: Record<string, unknown>[];
  readonly stderr: string;
}

/**
 * Runs pattern files (and optional rule files) over NDJSON records in embedded mode, in-process: patterns in
 * match mode (raw matches) unless rules are given, the named streams printed, late records captured.
 */
export async function runFiles(options: {
  readonly patterns: Readonly<Record<string, string>>;
  readonly rules?: Readonly<Record<string, string>>;
  readonly input: readonly unknown[];
  readonly match?: readonly string[];
  readonly streams?: readonly string[];
  readonly schema?: boolean;
  /** Further files beside the patterns (tables a pattern reads). */
  readonly files?: Readonly<Record<string, string>>;
  /** --cep-kept-budget. */
  readonly maxCepKeptEvents?: number;
}): Promise<RunResult> {
  const files: Record<string, string> = { ...(options.files ?? {}), ...options.patterns, ...(options.rules ?? {}), 'input.ndjson': ndjson(options.input) };
  const dir = tempDir(files);
  const loaded = loadProgram({
    patternFiles: Object.keys(options.patterns).map((f) => join(dir, f)),
    ruleFiles: Object.keys(options.rules ?? {}).map((f) => join(dir, f)),
    registry,
    ...(options.schema === false ? {} : { schema: TRAFFIC_RECORD_SCHEMA }),
    cwd: dir,
  });
  const io = captureIo(dir);
  const store = new MemoryFirstSeenStore();
  const summary = await runEmbedded(
    {
      program: loaded.program,
      ...(options.rules === undefined ? { patterns: options.match ?? [...loaded.program.patterns.keys()] } : { rules: loaded.rules }),
      input: join(dir, 'input.ndjson'),
      lookups: new Map([['first_seen', firstSeenLookup(store)]]),
      late: join(dir, 'late.ndjson'),
      streams: options.streams ?? [],
      ...(options.maxCepKeptEvents === undefined ? {} : { maxCepKeptEvents: options.maxCepKeptEvents }),
      clock: new ManualClock(T0 + m(60)),
    },
    io,
  );
  await store.close();
  const outputs: Record<string, unknown>[] = [];
  const streams: Record<string, Record<string, unknown>[]> = {};
  for (const line of parseLines(io.out)) {
    if (typeof line['stream'] === 'string') {
      const { stream, ...rest } = line;
      (streams[stream as string] ??= []).push(rest);
    } else outputs.push(line);
  }
  let late: Record<string, unknown>[] = [];
  try {
    late = parseLines(readFileSync(join(dir, 'late.ndjson'), 'utf8'));
  } catch {
    late = [];
  }
  return { summary, outputs, streams, late, stderr: io.err };
}

export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
