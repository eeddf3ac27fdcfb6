/**
 * The next-morning re-run. Cameras that were offline flush their records hours late, after the live windows and
 * patterns they belonged to had moved on (the records went to the late output), so the live figures of the day
 * miss them. The re-run runs the same rules over the day's full input in event-time order, where nothing is late,
 * keeps what falls in the day (in the city's zone), and compares it with what the service produced live: alerts
 * added and withdrawn (by id: an alert's id is a hash of its rule, key and evidence, so the same match has the same
 * id live and in the re-run; the live ones from the service's day index of alerts, not its capped history) and the
 * flow per checkpoint corrected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, Rec } from '../dsl/index.js';
import { ByteLineReader, byteLineBatches } from '../io/byte-lines.js';
import { type ExternalSortStats, sortLinesExternally } from '../io/external-sort.js';
import { parseIsoTimestamp } from '../traffic/index.js';
import { dayRange } from './days.js';
import { UserError } from './errors.js';
import { inputPath } from './program.js';
import { type ProgramPaths, runTraffic, type TrafficRunSummary } from './traffic.js';

/** The stream whose window results are the flow the re-run corrects, by default. */
export const DEFAULT_FLOW_STREAM = 'flow_1m';

export interface FlowCorrection {
  readonly checkpoint: string;
  /** What the service recorded live; null when it recorded no flow for the day. */
  readonly live: number | null;
  readonly final: number;
}

export interface DayReport {
  readonly alerts: {
    readonly live: number;
    readonly final: number;
    /** Ids of final alerts the live service did not raise, in event-time order. */
    readonly added: readonly string[];
    /** Ids of live alerts the re-run does not raise, in event-time order. */
    readonly withdrawn: readonly string[];
    readonly unchanged: number;
    /**
     * Whether the live alerts are every one the service raised for the day (its day index); false when it recorded
     * none, and the live side is only what the capped alert history still held (then an alert trimmed from it
     * would count as added).
     */
    readonly liveComplete: boolean;
  };
  readonly flow: {
    readonly stream: string;
    /** Whether the service recorded the day's live flow (`vigil serve --day-flow`). */
    readonly liveRecorded: boolean;
    readonly liveTotal: number | null;
    readonly finalTotal: number;
    /** Checkpoints whose final flow differs from the live one, by checkpoint id. */
    readonly corrected: readonly FlowCorrection[];
  };
}

/** A day's final results, as the re-run publishes them and the API serves them. */
export interface FinalDay {
  readonly day: string;
  readonly zone: string;
  /** The day's first instant and the next day's (exclusive), epoch ms. */
  readonly from: number;
  readonly to: number;
  readonly final: true;
  /** When the re-run computed them (epoch ms). */
  readonly computedAt: number;
  /** The day's alerts, oldest event time first. */
  readonly alerts: readonly Alert[];
  /** Flow of the day per checkpoint (the sum of the flow stream's windows that start in the day). */
  readonly flow: Readonly<Record<string, number>>;
  readonly report: DayReport;
}

/** What the comparison and the report need of an alert. */
export type AlertSummary = Pick<Alert, 'id' | 'rule' | 'key' | 'event_time'>;

/** What the service produced live for a day. */
export interface LiveDay {
  readonly alerts: readonly AlertSummary[];
  /** Whether `alerts` are all the day's (the service's day index), not only what the capped history held. */
  readonly alertsComplete: boolean;
  /** null when the service recorded no flow for the day. */
  readonly flow: ReadonlyMap<string, number> | null;
}

const byEventTime = (a: AlertSummary, b: AlertSummary): number => a.event_time - b.event_time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What changed from the live results to the final ones. */
export function diffDay(live: LiveDay, final: { readonly alerts: readonly Alert[]; readonly flow: ReadonlyMap<string, number> }, stream: string): DayReport {
  const liveIds = new Set(live.alerts.map((a) => a.id));
  const finalIds = new Set(final.alerts.map((a) => a.id));
  const added = [...final.alerts].sort(byEventTime).filter((a) => !liveIds.has(a.id));
  const withdrawn = [...live.alerts].sort(byEventTime).filter((a) => !finalIds.has(a.id));
  const corrected: FlowCorrection[] = [];
  const checkpoints = new Set([...final.flow.keys(), ...(live.flow?.keys() ?? [])]);
  for (const checkpoint of [...checkpoints].sort()) {
    const f = final.flow.get(checkpoint) ?? 0;
    const l = live.flow === null ? null : (live.flow.get(checkpoint) ?? 0);
    if (l !== f) corrected.push({ checkpoint, live: l, final: f });
  }
  const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((s, n) => s + n, 0);
  return {
    alerts: {
      live: liveIds.size,
      final: finalIds.size,
      added: added.map((a) => a.id),
      withdrawn: withdrawn.map((a) => a.id),
      unchanged: [...finalIds].filter((id) => liveIds.has(id)).length,
      liveComplete: live.alertsComplete,
    },
    flow: { stream, liveRecorded: live.flow !== null, liveTotal: live.flow === null ? null : sum(live.flow), finalTotal: sum(final.flow), corrected },
  };
}

/** The event time of an input line for ordering (`ts`: epoch ms or ISO 8601); -Infinity when it has none. */
export function lineTime(line: string): number {
  let ts: unknown;
  try {
    ts = (JSON.parse(line) as { ts?: unknown }).ts;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? parseIsoTimestamp(ts.trim()) : Number.NaN;
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

/** The input's lines in batches, blank ones left out (they hold no record; the in-memory sort left them out too). */
async function* recordLines(path: string): AsyncGenerator<string[]> {
  try {
    for await (const batch of byteLineBatches(path)) yield batch.filter((line) => line.trim() !== '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new UserError(`${path}: not a readable gzip file (${(error as Error).message})`);
    throw new UserError(`cannot read ${path}: ${code ?? (error as Error).message}`);
  }
}

/**
 * Writes the input's lines in event-time order to `out`, stable (lines of one instant keep the file's order; lines
 * without a time, dead letters anyway, come first), byte for byte, holding at most `runLines` of them in memory.
 */
export function sortDayInput(input: string, out: string, tmpDir: string, runLines?: number): Promise<ExternalSortStats> {
  return sortLinesExternally(recordLines(input), lineTime, out, { tmpDir, ...(runLines === undefined ? {} : { runLines }) });
}

export interface RerunOptions extends ProgramPaths {
  readonly cwd: string;
  /** The day's full input: one NDJSON file (gzip or not), in any order. */
  readonly input: string;
  readonly day: string;
  /** The city's zone (an IANA name or a fixed offset): the day's bounds, and local_date & co. in the rules. */
  readonly zone: string;
  readonly flowStream?: string;
  readonly knownVehicles?: string;
  /** The service's first_seen store in Redis; in memory without. */
  readonly firstSeen?: { readonly redis: string; readonly prefix: string };
  /** Input lines the sort holds in memory at most (a run); default DEFAULT_RUN_LINES. */
  readonly sortRunLines?: number;
}

export interface RerunResult {
  readonly alerts: readonly Alert[];
  readonly flow: ReadonlyMap<string, number>;
  readonly summary: TrafficRunSummary;
  readonly sort: ExternalSortStats;
}

/**
 * The flow of the day per checkpoint, summed from the flow stream's records as the run writes them (text in pieces
 * of whole lines, but a line split across pieces is kept until its end): nothing of the output is kept.
 */
class FlowTally {
  readonly flow = new Map<string, number>();
  private carry = '';

  constructor(
    private readonly stream: string,
    private readonly from: number,
    private readonly to: number,
  ) {}

  write(text: string): void {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const line = from === 0 && this.carry !== '' ? this.carry + text.slice(0, nl) : text.slice(from, nl);
      if (from === 0) this.carry = '';
      this.line(line);
      from = nl + 1;
    }
    this.carry += text.slice(from);
  }

  end(): void {
    if (this.carry !== '') this.line(this.carry);
    this.carry = '';
  }

  private line(line: string): void {
    if (line === '') return;
    const r = JSON.parse(line) as Rec;
    if (r['stream'] !== this.stream) return;
    const start = r['window_start'];
    const checkpoint = r['checkpoint'];
    const n = r['flow'];
    if (typeof start !== 'number' || typeof checkpoint !== 'string' || typeof n !== 'number') {
      throw new UserError(`--flow-stream ${this.stream}: its records need checkpoint, flow and a window (window_start)`);
    }
    if (start >= this.from && start < this.to) this.flow.set(checkpoint, (this.flow.get(checkpoint) ?? 0) + n);
  }
}

/** The alerts of the run's output file whose event time is in [from, to), oldest first; read a line at a time. */
function alertsOfDay(path: string, from: number, to: number): Alert[] {
  const alerts: Alert[] = [];
  const reader = new ByteLineReader(path);
  try {
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      if (line === '') continue;
      // The file is UTF-8: its bytes, read as latin1, are decoded before parsing.
      const a = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as Alert;
      if (a.event_time >= from && a.event_time < to) alerts.push(a);
    }
  } finally {
    reader.close();
  }
  return alerts.sort(byEventTime);
}

/**
 * Runs the rules over the day's input in event-time order; keeps the alerts and flow windows of the day. Memory is
 * bounded by the sort's runs, not by the input: the sorted input is a temporary file the run streams, and the flow
 * stream's records are summed as they are written.
 */
export async function computeFinal(options: RerunOptions, stderr: (text: string) => void): Promise<RerunResult> {
  const { from, to } = dayRange(options.day, options.zone);
  const stream = options.flowStream ?? DEFAULT_FLOW_STREAM;
  if (options.input === '-') throw new UserError('vigil rerun reads a file (--input day.ndjson): it sorts the whole day first');
  const input = inputPath(options.input, options.cwd, '--input');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rerun-'));
  try {
    const sorted = join(dir, 'input.ndjson');
    const alertsFile = join(dir, 'alerts.ndjson');
    const sort = await sortDayInput(input, sorted, dir, options.sortRunLines);
    const tally = new FlowTally(stream, from, to);
    const summary = await runTraffic(
      {
        cwd: options.cwd,
        input: sorted,
        out: alertsFile,
        streams: [stream],
        ...(options.patterns === undefined ? {} : { patterns: options.patterns }),
        ...(options.rules === undefined ? {} : { rules: options.rules }),
        ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
        timeZone: options.zone,
        ...(options.knownVehicles === undefined ? {} : { knownVehicles: options.knownVehicles }),
        ...(options.firstSeen === undefined ? {} : { redis: options.firstSeen.redis, firstSeenPrefix: options.firstSeen.prefix }),
      },
      { stdout: (text) => tally.write(text), stderr },
    );
    tally.end();
    return { alerts: alertsOfDay(alertsFile, from, to), flow: tally.flow, summary, sort };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The final results of a day from the re-run's output and the live results. */
export function finalDay(options: RerunOptions, result: RerunResult, live: LiveDay, computedAt: number): FinalDay {
  const { from, to } = dayRange(options.day, options.zone);
  const stream = options.flowStream ?? DEFAULT_FLOW_STREAM;
  return {
    day: options.day,
    zone: options.zone,
    from,
    to,
    final: true,
    computedAt,
    alerts: result.alerts,
    flow: Object.fromEntries([...result.flow].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    report: diffDay(live, result, stream),
  };
}

/** The report for people: counts, the ids added and withdrawn (with times in the city's zone), the corrected checkpoints. */
export function formatDayReport(
  final: FinalDay,
  alertsById: ReadonlyMap<string, AlertSummary>,
  time: (ms: number) => string = (ms) => new Date(ms).toISOString(),
): string {
  const r = final.report;
  const lines = [
    `day ${final.day} (${final.zone}): ${r.alerts.final} final alert(s), ${r.alerts.live} live: ${r.alerts.added.length} added, ${r.alerts.withdrawn.length} withdrawn, ${r.alerts.unchanged} unchanged`,
  ];
  const describe = (id: string): string => {
    const a = alertsById.get(id);
    return a === undefined ? id : `${id} ${a.rule} ${a.key} at ${time(a.event_time)}`;
  };
  if (!r.alerts.liveComplete) {
    lines.push(
      "  live alerts: only those the service's capped alert history still holds (no day index of its alerts for the day): an alert raised live but trimmed from the history counts as added",
    );
  }
  for (const id of r.alerts.added) lines.push(`  + ${describe(id)}`);
  for (const id of r.alerts.withdrawn) lines.push(`  - ${describe(id)}`);
  if (!r.flow.liveRecorded) {
    lines.push(`flow (${r.flow.stream}): ${r.flow.finalTotal} final; the service recorded no live flow for the day (vigil serve --day-flow ${r.flow.stream})`);
  } else {
    lines.push(`flow (${r.flow.stream}): ${r.flow.finalTotal} final, ${r.flow.liveTotal} live; ${r.flow.corrected.length} checkpoint(s) corrected`);
    for (const c of r.flow.corrected)
      lines.push(`  ${c.checkpoint}: ${c.live} -> ${c.final} (${c.final - (c.live ?? 0) >= 0 ? '+' : ''}${c.final - (c.live ?? 0)})`);
  }
  return `${lines.join('\n')}\n`;
}
