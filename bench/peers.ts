/**
 * Vigil against Flink CEP on the same work and the same file (issue 16): each part of the work (hop: `a next b within
 * 10m` per vehicle; impossible: `a followed by b within 30m` too fast to be one car; flow: a 1-minute tumbling count
 * per checkpoint) runs in Vigil (`vigil run --stream`, bench/peers/vigil) and in Flink CEP 1.20 (bench/peers/flink, a
 * local MiniCluster at parallelism 1 and 2), alternating, N rounds. Prints per part and engine the medians of
 * records/s, CPU seconds per million records, peak RSS (and the JVM's peak heap in use), and whether each Flink run's
 * output equals Vigil's (hop and impossible pairs as from-id,to-id; window counts as checkpoint,window_start,count).
 *
 *   npm run bench:peers -- [--input FILE | --minutes 300 --seed 3 [--anomalies]] [--runs 3] [--parts hop,impossible,flow]
 *                          [--parallelism 1,2] [--bound 5m] [--flink-watermarks periodic|every-record] [--keep DIR] [--rebuild]
 *
 * Input: --input, else `vigil generate --minutes M --seed S [--anomalies]`, cached in $TMPDIR/vigil-bench. Both
 * engines use a bounded-out-of-orderness watermark of --bound (Vigil: passes.pattern's bound rewritten when it
 * differs; Flink: --bound-ms). Vigil advances its watermark after every record, Flink (by default) every 200 ms of
 * processing time, so a record a few minutes late may be late for one engine and not the other, and which records
 * Flink finds late depends on how fast it runs; --flink-watermarks every-record makes Flink advance it as Vigil does
 * (a watermark per advancing record: slower), to tell watermark timing apart from other differences. The Flink jar is built by Maven when missing (or with --rebuild): offline (`mvn -o`)
 * when ~/.m2 holds what it needs, else from Maven Central (the first time only). Needs java 17+, mvn and
 * /usr/bin/time.
 *
 * Measures: each engine is a child process run under GNU time (`/usr/bin/time -f '%e %U %S %M'`): wall seconds,
 * user + system CPU seconds of the whole process (every thread: Flink's task, source, GC and JIT threads, Node's
 * main, GC and JIT threads) and the peak RSS. records/s = input lines / wall seconds of the whole command (the
 * JVM's and the MiniCluster's start included, as Node's start is); "job rec/s" is what each engine reports of the
 * job alone (Vigil's summary line; Flink's JobExecutionResult net runtime). The JVM's peak heap in use is sampled
 * every 20 ms inside the JVM. Starting up costs the JVM and the MiniCluster several CPU-seconds, a large share on a small
 * file: each part and engine also runs once over the input's first 1,000 records, and "CPU s/M net" takes that run's
 * CPU off before dividing by the rest of the records. Outputs go to files in a scratch directory (--keep DIR keeps them there).
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { argNumber, argString, grouped, repo } from './util.js';

type Part = 'hop' | 'impossible' | 'flow';
const PARTS: readonly Part[] = ['hop', 'impossible', 'flow'];
/** The stream each part's Vigil pattern file prints, and the file (bench/peers/vigil/PART.pattern). */
const VIGIL_STREAM: Readonly<Record<Part, string>> = { hop: 'peer_hop_pairs', impossible: 'peer_impossible_pairs', flow: 'peer_flow_1m' };

const runs = argNumber('runs', 3);
const parts = argString('parts', PARTS.join(','))
  .split(',')
  .map((p) => {
    if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--parts: unknown part ${p} (${PARTS.join(', ')})`);
    return p as Part;
  });
const parallelisms = argString('parallelism', '1,2')
  .split(',')
  .map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--parallelism: ${p} is not a positive integer`);
    return n;
  });
const bound = argString('bound', '5m');
const keep = argString('keep', '');
const flinkWatermarks = argString('flink-watermarks', 'periodic');
if (flinkWatermarks !== 'periodic' && flinkWatermarks !== 'every-record') throw new Error('--flink-watermarks: periodic or every-record');

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`--bound: expected a duration such as 5m or 30s, got ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
const boundMs = durationMs(bound);

/** The input: --input, else a generated file cached in $TMPDIR/vigil-bench. */
function inputFile(): string {
  const given = argString('input', '');
  if (given !== '') return resolve(given);
  const minutes = argNumber('minutes', 300);
  const seed = argNumber('seed', 3);
  const anomalies = process.argv.includes('--anomalies');
  const dir = join(tmpdir(), 'vigil-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `peers-${minutes}m-s${seed}${anomalies ? '-anomalies' : ''}.ndjson`);
  if (existsSync(file)) return file;
  process.stderr.write(`generating ${minutes} minutes, seed ${seed} (once, cached in ${dir})...\n`);
  const args = ['generate', '--minutes', String(minutes), '--seed', String(seed), '--out', file + '.part', ...(anomalies ? ['--anomalies'] : [])];
  execFileSync(process.execPath, [join(repo, 'bin', 'vigil.js'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('mv', [file + '.part', file]);
  return file;
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim() !== '') n++;
  return n;
}

const flinkDir = join(repo, 'bench', 'peers', 'flink');
const jar = join(flinkDir, 'target', 'vigil-flink-peer.jar');

/** Builds the Flink module when its jar is missing: offline when the local repository has Flink, else online. */
function buildFlink(): void {
  if (existsSync(jar) && !process.argv.includes('--rebuild')) return;
  const cached = existsSync(join(homedir(), '.m2', 'repository', 'org', 'apache', 'flink', 'flink-cep', '1.20.5'));
  const mvn = (offline: boolean): void => {
    process.stderr.write(`building bench/peers/flink (mvn${offline ? ' -o' : ', online: Maven Central'})...\n`);
    execFileSync('mvn', ['-q', '-B', ...(offline ? ['-o'] : []), 'package'], { cwd: flinkDir, stdio: ['ignore', 'inherit', 'inherit'] });
  };
  if (!cached) {
    mvn(false);
    return;
  }
  try {
    mvn(true);
  } catch {
    // Something the offline build needs is not in ~/.m2 yet (a plugin's dependency): fetch it once.
    mvn(false);
  }
}

interface Measure {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRss: number;
  /** The job alone, as the engine reports it; NaN when it did not say. */
  readonly jobSeconds: number;
  /** Flink only: the JVM's peak heap in use. */
  readonly peakHeap: number;
  /** The part's output, one normalised line per result. */
  readonly output: string[];
}

/** Runs a command under GNU time with stdout to `stdoutFile`; returns wall, CPU and peak RSS, and its stderr. */
async function timed(command: string, args: readonly string[], stdoutFile: string): Promise<{ wall: number; cpu: number; rss: number; stderr: string }> {
  const timeFile = stdoutFile + '.time';
  const out = openSync(stdoutFile, 'w');
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolveExit, reject) => {
    const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], { cwd: repo, stdio: ['ignore', out, 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', reject);
    child.on('close', resolveExit);
  });
  closeSync(out);
  const text = Buffer.concat(stderr).toString('utf8');
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${text.slice(-2000)}`);
  // GNU time writes its line last (a line before it may say the command's signal or status).
  const fields = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  const [wall, user, sys, rssKb] = fields as [number, number, number, number];
  return { wall, cpu: user + sys, rss: rssKb * 1024, stderr: text };
}

/** A scratch patterns directory per part: passes.pattern (its bound rewritten to --bound) and the part's file. */
function vigilPatterns(scratch: string, part: Part): string {
  const dir = join(scratch, `vigil-patterns-${part}`);
  if (existsSync(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  const passes = readFileSync(join(repo, 'patterns', 'passes.pattern'), 'utf8');
  if (!passes.includes('watermark 5m out of order')) throw new Error("patterns/passes.pattern has no 'watermark 5m out of order': update bench/peers.ts");
  writeFileSync(join(dir, 'passes.pattern'), passes.replace('watermark 5m out of order', `watermark ${bound} out of order`));
  copyFileSync(join(repo, 'bench', 'peers', 'vigil', `${part}.pattern`), join(dir, `${part}.pattern`));
  return dir;
}

async function runVigil(scratch: string, input: string, part: Part, round: number): Promise<Measure> {
  const rules = join(scratch, 'no-rules');
  mkdirSync(rules, { recursive: true });
  const outFile = join(scratch, `vigil-${part}-${round}.ndjson`);
  const args = [
    join(repo, 'bin', 'vigil.js'),
    'run',
    '--input',
    input,
    '--patterns',
    vigilPatterns(scratch, part),
    '--rules',
    rules,
    '--stream',
    VIGIL_STREAM[part],
  ];
  const t = await timed(process.execPath, args, outFile);
  // "vigil run: N records (...) -> 0 alerts in 5.53 s (33,773 records/s)"
  const job = /alerts in ([\d.]+) s/.exec(t.stderr);
  const output = readFileSync(outFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      return part === 'flow' ? `${r['checkpoint']},${r['window_start']},${r['flow']}` : `${r['from_id']},${r['to_id']}`;
    });
  return { wallSeconds: t.wall, cpuSeconds: t.cpu, peakRss: t.rss, jobSeconds: job === null ? Number.NaN : Number(job[1]), peakHeap: Number.NaN, output };
}

async function runFlink(scratch: string, input: string, part: Part, parallelism: number, round: number): Promise<Measure> {
  const outDir = join(scratch, `flink-p${parallelism}-${part}-${round}`);
  mkdirSync(outDir, { recursive: true });
  const args = [
    '-jar',
    jar,
    '--input',
    input,
    '--registry',
    join(repo, 'fixtures', 'checkpoints.json'),
    '--out',
    outDir,
    '--work',
    part,
    '--parallelism',
    String(parallelism),
    '--bound-ms',
    String(boundMs),
    '--watermarks',
    flinkWatermarks,
  ];
  const t = await timed('java', args, join(outDir, 'stdout.json'));
  const report = JSON.parse(readFileSync(join(outDir, 'stdout.json'), 'utf8').trim().split('\n').pop()!) as { job_ms: number; heap_peak_bytes: number };
  const output = readdirSync(outDir)
    .filter((f) => f.startsWith(`${part}-`) && f.endsWith('.csv'))
    .flatMap((f) =>
      readFileSync(join(outDir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  return { wallSeconds: t.wall, cpuSeconds: t.cpu, peakRss: t.rss, jobSeconds: report.job_ms / 1000, peakHeap: report.heap_peak_bytes, output };
}

/** How one output differs from Vigil's: results only in each, duplicates, and a few examples. */
interface Agreement {
  readonly vigil: number;
  readonly other: number;
  readonly onlyVigil: string[];
  readonly onlyOther: string[];
  readonly duplicates: number;
}

function compare(vigil: readonly string[], other: readonly string[]): Agreement {
  const a = new Set(vigil);
  const b = new Set(other);
  return {
    vigil: vigil.length,
    other: other.length,
    onlyVigil: [...a].filter((x) => !b.has(x)),
    onlyOther: [...b].filter((x) => !a.has(x)),
    duplicates: vigil.length - a.size + (other.length - b.size),
  };
}

const agrees = (g: Agreement): boolean => g.onlyVigil.length === 0 && g.onlyOther.length === 0 && g.duplicates === 0;

const median = (xs: readonly number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const input = inputFile();
const records = await countLines(input);
buildFlink();
const scratch = keep !== '' ? resolve(keep) : mkdtempSync(join(tmpdir(), 'vigil-peers-'));
mkdirSync(scratch, { recursive: true });
const engines = ['vigil', ...parallelisms.map((p) => `flink p${p}`)];
const before = loadavg();
console.log(
  `input ${input}: ${grouped(records)} records; watermark ${bound} out of order (Flink: ${flinkWatermarks}); ${runs} rounds; ` +
    `load average ${before.map((x) => x.toFixed(2)).join(' ')}`,
);

const measures = new Map<string, Measure[]>();
const agreement = new Map<string, Agreement[]>();
/** CPU seconds of each part and engine over the input's first STARTUP_RECORDS lines: what starting up costs. */
const startupCpu = new Map<string, number>();
const STARTUP_RECORDS = 1000;
try {
  const small = join(scratch, 'startup.ndjson');
  const head: string[] = [];
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    head.push(line);
    if (head.length >= STARTUP_RECORDS) break;
  }
  writeFileSync(small, head.join('\n') + '\n');
  for (const part of parts) {
    startupCpu.set(`${part}/vigil`, (await runVigil(scratch, small, part, 0)).cpuSeconds);
    for (const p of parallelisms) startupCpu.set(`${part}/flink p${p}`, (await runFlink(scratch, small, part, p, 0)).cpuSeconds);
  }
  console.log(`start-up (the first ${grouped(STARTUP_RECORDS)} records), CPU s: ` + [...startupCpu].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '));
  for (let round = 1; round <= runs; round++) {
    for (const part of parts) {
      // Alternate: every round runs each engine once per part, Vigil first, so both see the same machine.
      const vigil = await runVigil(scratch, input, part, round);
      const results: [string, Measure][] = [['vigil', vigil]];
      for (const p of parallelisms) results.push([`flink p${p}`, await runFlink(scratch, input, part, p, round)]);
      for (const [engine, m] of results) {
        const key = `${part}/${engine}`;
        measures.set(key, [...(measures.get(key) ?? []), m]);
        if (engine !== 'vigil') agreement.set(key, [...(agreement.get(key) ?? []), compare(vigil.output, m.output)]);
        console.log(
          `round ${round} ${part.padEnd(10)} ${engine.padEnd(8)} ${grouped(records / m.wallSeconds).padStart(8)} rec/s, ` +
            `${m.wallSeconds.toFixed(2)} s wall, ${m.cpuSeconds.toFixed(2)} s CPU, RSS ${(m.peakRss / 2 ** 20).toFixed(0)} MiB, ${grouped(m.output.length)} results`,
        );
      }
      // Keep the outputs only when asked: a million hop pairs per run add up.
      if (keep === '') for (const f of readdirSync(scratch)) if (f.includes(`-${part}-${round}`)) rmSync(join(scratch, f), { recursive: true, force: true });
    }
  }
} finally {
  if (keep === '') rmSync(scratch, { recursive: true, force: true });
}

const mib = (b: number): string => (Number.isNaN(b) ? '-' : (b / 2 ** 20).toFixed(0));
console.log(
  `\nmedians of ${runs} rounds, ${grouped(records)} records (rec/s: whole command, start-up included; job rec/s: as the engine reports the job; ` +
    `CPU s/M net: less the CPU of a run over the first ${grouped(STARTUP_RECORDS)} records)`,
);
const header = ['part', 'engine', 'rec/s', 'job rec/s', 'CPU s/M rec', 'CPU s/M net', 'peak RSS MiB', 'peak heap MiB', 'results', 'agrees with vigil'];
const rows: string[][] = [header];
for (const part of parts) {
  for (const engine of engines) {
    const ms = measures.get(`${part}/${engine}`) ?? [];
    const gs = agreement.get(`${part}/${engine}`) ?? [];
    const worst = gs.reduce<Agreement | null>(
      (w, g) => (w === null || g.onlyVigil.length + g.onlyOther.length > w.onlyVigil.length + w.onlyOther.length ? g : w),
      null,
    );
    const verdict =
      engine === 'vigil' || worst === null
        ? ''
        : agrees(worst) && gs.every(agrees)
          ? `yes (${gs.length}/${gs.length} rounds)`
          : `no (${gs.filter(agrees).length}/${gs.length} rounds agree; worst: ${worst.onlyVigil.length} only in vigil, ${worst.onlyOther.length} only in flink` +
            (worst.duplicates > 0 ? `, ${worst.duplicates} repeated)` : ')');
    rows.push([
      part,
      engine,
      grouped(median(ms.map((m) => records / m.wallSeconds))),
      grouped(median(ms.map((m) => records / m.jobSeconds))),
      median(ms.map((m) => (m.cpuSeconds * 1e6) / records)).toFixed(1),
      median(ms.map((m) => ((m.cpuSeconds - (startupCpu.get(`${part}/${engine}`) ?? Number.NaN)) * 1e6) / (records - STARTUP_RECORDS))).toFixed(1),
      mib(median(ms.map((m) => m.peakRss))),
      mib(median(ms.map((m) => m.peakHeap))),
      grouped(median(ms.map((m) => m.output.length))),
      verdict,
    ]);
  }
}
const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
for (const [key, gs] of agreement) {
  const g = gs.find((x) => !agrees(x));
  if (g === undefined) continue;
  console.log(`\n${key} vs vigil (first round that differs): vigil ${grouped(g.vigil)} results, flink ${grouped(g.other)}`);
  if (g.onlyVigil.length > 0) console.log(`  only in vigil (${g.onlyVigil.length}), e.g. ${g.onlyVigil.slice(0, 5).join('  ')}`);
  if (g.onlyOther.length > 0) console.log(`  only in flink (${g.onlyOther.length}), e.g. ${g.onlyOther.slice(0, 5).join('  ')}`);
}
console.log(
  `\nload average before ${before.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
