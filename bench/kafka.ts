/**
 * `vigil serve` end to end through the real broker: separate `node bin/vigil.js serve` child processes, exactly as
 * a user runs them (--kafka, --redis, --input-topic, --group, --rules, --late-topic, --dead-letter-topic,
 * --first-seen-prefix, --checkpoint-interval 10, and --port 0 when the build has it), against Kafka on
 * 127.0.0.1:9092 and Redis on 127.0.0.1:6379 (`bash services/kafka/start.sh`, `bash services/redis/start.sh`).
 * Prints numbers; asserts no timing.
 *
 *   npm run bench:kafka -- [--records 1000000] [--rate 5000] [--seconds 60] [--shipped-seconds S] [--bound 2s]
 *                          [--only throughput|latency] [--kafka host:port] [--redis URL]
 *
 * Every run uses topics, consumer groups and Redis keys of its own (names holding one run id), deleted at the end.
 * Alerts go to each shipped rule's Kafka route, re-pointed at the run's alert topic (a copy of rules/). The input
 * topic has 4 partitions, keyed by checkpoint as a camera feed is. The bench creates the alert and dead-letter
 * topics itself with message.timestamp.type=LogAppendTime, so a message's timestamp is the moment the broker
 * appended it: "visible on the topic", on the same clock as the producer's (one machine), and not delayed by how
 * fast this process reads.
 *
 * Progress marks. The job refuses a line without the record fields to the dead-letter topic, keeping its bytes, and
 * flushes its sinks after every batch. So the bench puts marks, `{"bench_mark": k, "p": partition}`, into the input
 * (one to every partition, by explicit partition) and reads them back from the dead-letter topic: the append time
 * of partition p's mark k is when the job finished the batch that held it. Mark k is "done" when every partition's
 * has appeared (the latest appearance counts: a rebalance or a restore replays marks, and the replayed copy is the
 * one the final result is built on; replays are counted and printed). Marks are a few hundred lines per million.
 *
 * 1. Throughput (every shipped rule, first_seen seeded with the generator truth's known vehicles, as a deployed
 *    city's store would be): the first --records lines of the generated morning (bench/util.ts generatedMorning)
 *    are produced before any serve process starts, with a mark to every partition every 1% of them, then a final
 *    `{"$watermark": last ts + 1 day}` to every partition (the job fires everything, as `vigil run` does at a
 *    file's end) and the end mark. records/s = (records - first mark's position) / (time from the first 1% mark
 *    done to the end mark done): the first 1% is the warm-up and the partitions' first fetches. Also printed: the
 *    10%..90% rate (steady state, no final firing), the time from spawn to the first batch, and a cross-check from
 *    the group's committed offsets (polled every 0.5 s; they move only at checkpoints, every 10 s). Then the same
 *    with two serve processes started together in one group (a second group on the same input): pair vs one.
 * 2. Latency at a steady --rate (cold first_seen, see below): a producer sends, every 10 ms, the lines due by then
 *    (line i is due at i / rate s), each with its ts rewritten to the wall-clock time of that send ("now"): event
 *    time = produce time, and a camera's records keep their order (produced in the file's order, each camera to
 *    one partition, ts never decreasing). The feed is generated at scale rate/500 (bench/util.ts generatedPeak,
 *    the 08:00 peak), so replaying it at --rate keeps roughly real time between one vehicle's captures and the
 *    patterns see real speeds and gaps (a scale-1 morning squeezed 12x in time would show cars at 12x speed).
 *    Alert latency = the alert's append time on the alert topic - the produce time of its last evidence record
 *    (the largest ts among the evidence records that carry an id, which is the alert's event_time; for an alert
 *    without record evidence, a window's, its event_time). Split:
 *      watermark hold = the part of the latency up to event_time + out-of-orderness + 1 ms (the source's
 *        `watermark 5m out of order`: the job emits a match only once the watermark, max event time seen minus
 *        the bound, passes it, so no alert can be visible before then): min(latency, max(0, event_time + bound +
 *        1 - produce time));
 *      everything else = latency - hold: the producer's send, the consumer's fetch, the watermark reaching that
 *        point on every partition (the slowest partition holds it back), the batch's processing, the flush.
 *    A mark every second also gives the pipeline lag of one line with no watermark wait (mark produced -> its dead
 *    letter appended). With the shipped 5-minute bound nothing can be visible before 5 min + 1 ms, beyond a 60 s
 *    run: so the run is made twice, first with a patterns copy whose bound is --bound (default 2s, `--patterns`),
 *    then with the shipped patterns for --shipped-seconds (default --seconds; 420 shows its alerts).
 *    first_seen is cold here: seeded with the known vehicles, a minute of feed holds only the few first entries the
 *    generator plants (too few for a p99); cold, every vehicle's first entry alerts, through the same path, so
 *    there are thousands of alerts to take quantiles over. It is also the heavier alert load.
 * 3. For every serve process: CPU seconds (utime + stime from /proc/PID/stat) and peak RSS (VmHWM from
 *    /proc/PID/status), read just before it is sent SIGTERM (it then drains, checkpoints, commits and exits; the
 *    exit code and committed == end offsets are checked and printed); and the broker's CPU seconds over each
 *    throughput phase (it runs on the same cores: on two, what it takes bounds what a pair can gain). When the build serves HTTP (--port), the
 *    process's /metrics is also sampled every second: checkpoints (how many, the slowest, the largest), open
 *    partial matches, event-loop lag; the why behind a stall in the figures above.
 *
 * The machine is shared: the broker, Redis and this process run beside the serve processes (during throughput
 * this process only reads marks; it produces before the serve process starts). Compare runs on one machine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import type { Consumer, Message } from 'kafkajs';
import { seedKnownVehicles } from '../src/app/lookups.js';
import { RedisFirstSeenStore } from '../src/io/first-seen/redis-store.js';
import { KafkaClient } from '../src/io/kafka/client.js';
import { connectRedis } from '../src/io/redis/client.js';
import { unlinkMatching } from '../src/io/redis/keys.js';
import {
  argNumber,
  argString,
  checkpointOf,
  generatedMorning,
  generatedMorningTruth,
  generatedPeak,
  grouped,
  mib,
  patternsWithBound,
  processUsage,
  quantile,
  repo,
  rulesRoutedTo,
} from './util.js';

const brokers = argString('kafka', '127.0.0.1:9092');
const redisUrl = argString('redis', 'redis://127.0.0.1:6379');
const records = argNumber('records', 1_000_000);
const rate = argNumber('rate', 5000);
const seconds = argNumber('seconds', 60);
const shippedSeconds = argNumber('shipped-seconds', seconds);
const bound = argString('bound', '2s');
const only = argString('only', 'all');
const PARTITIONS = 4;
const CHECKPOINT_INTERVAL = '10';
const SHIPPED_BOUND = '5m';
/** Topics whose message timestamps are the broker's append time. */
const APPEND_TIME = { 'message.timestamp.type': 'LogAppendTime' } as const;

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const name = (what: string): string => `vigil-bench-kafka-${runId}-${what}`;

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (m === null) throw new Error(`--bound ${text}: expected e.g. 500ms, 2s or 1m`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}
durationMs(bound); // refuses a bad --bound before anything starts

/** The machine's 1-minute load average against its cores: other work on a shared machine shows in every figure. */
const load = (): string => `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const msText = (ms: number): string => (Number.isNaN(ms) ? 'n/a' : `${grouped(ms)} ms`);

// ------------------------------------------------------------------ what the run leaves behind, removed at the end

const client = new KafkaClient({ brokers, clientId: 'vigil-bench-kafka' });
let redis: Redis | undefined;
const topics: string[] = [];
/** Consumer groups this bench names (readers and serve groups); cleanUp deletes every group with the run id. */
const groups: string[] = [];
const dirs: string[] = [];
const tails = new Set<Tail>();
const children = new Set<Serve>();

/** `--port 0` when this build's `vigil serve` has an HTTP port (another change adds it), else nothing. */
const portArgs: string[] = (() => {
  let help = '';
  try {
    help = execFileSync(process.execPath, [join(repo, 'bin', 'vigil.js'), 'serve', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    help = String((error as { stdout?: unknown }).stdout ?? '');
  }
  return /--port\b/.test(help) ? ['--port', '0'] : [];
})();

/** A `vigil serve` child process of the built CLI; the tail of its stderr is kept for failure messages. */
class Serve {
  readonly child: ChildProcess;
  readonly spawnedAt = Date.now();
  private err = '';
  private code: number | null | undefined;
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[]) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('VIGIL_')) delete env[k];
    this.child = spawn(
      process.execPath,
      [
        ...(process.env['VIGIL_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
        join(repo, 'bin', 'vigil.js'),
        'serve',
        '--kafka',
        brokers,
        '--redis',
        redisUrl,
        ...args,
        ...portArgs,
      ],
      {
        cwd: repo,
        stdio: ['ignore', 'ignore', 'pipe'],
        env,
      },
    );
    this.child.stderr?.on('data', (d: Buffer) => (this.err = (this.err + d.toString('utf8')).slice(-20_000)));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.code = code ?? (signal === null ? null : -1);
        children.delete(this);
        resolve(this.code);
      }),
    );
    children.add(this);
  }

  /** The HTTP address the process logged ('listening on ...'), when this build serves HTTP. */
  get url(): string | undefined {
    return /listening on (https?:\/\/\S+)/.exec(this.err)?.[1];
  }

  get running(): boolean {
    return this.code === undefined;
  }

  get stderr(): string {
    return this.err;
  }

  usage(): { cpuSeconds: number; peakRss: number } | null {
    return this.child.pid === undefined || !this.running ? null : processUsage(this.child.pid);
  }

  /** SIGTERM (drain, checkpoint, commit, exit), SIGKILL after a minute. Resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.code ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/**
 * Samples a serve process's /metrics every second when the build serves HTTP (--port): the checkpoints (how
 * many, the slowest, the largest), the open partial matches and the event-loop lag. The scrape costs the process
 * a little CPU; without --port nothing is sampled.
 */
class MetricsSampler {
  samples = 0;
  checkpoints = 0;
  checkpointMsMax = 0;
  checkpointBytesMax = 0;
  partialMatchesMax = 0;
  loopLagMaxMs = 0;
  private busy = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly proc: Serve) {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  private async sample(): Promise<void> {
    const url = this.proc.url;
    if (url === undefined || this.busy || !this.proc.running) return;
    this.busy = true;
    try {
      const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const sums = new Map<string, number>();
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
        if (m !== null) sums.set(m[1] as string, (sums.get(m[1] as string) ?? 0) + Number(m[2]));
      }
      const get = (name: string): number => sums.get(name) ?? 0;
      this.samples++;
      this.checkpoints = Math.max(this.checkpoints, get('vigil_task_checkpoints_total'));
      this.checkpointMsMax = Math.max(this.checkpointMsMax, get('vigil_checkpoint_last_duration_ms'));
      this.checkpointBytesMax = Math.max(this.checkpointBytesMax, get('vigil_checkpoint_last_bytes'));
      this.partialMatchesMax = Math.max(this.partialMatchesMax, get('vigil_cep_partial_matches'));
      this.loopLagMaxMs = Math.max(this.loopLagMaxMs, get('nodejs_eventloop_lag_max_seconds') * 1000);
    } catch {
      // a scrape that fails or times out (a blocked event loop) is skipped
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  text(): string {
    if (this.samples === 0) return 'no /metrics sample';
    return (
      `/metrics every 1 s: ${this.checkpoints} checkpoints, the slowest ${grouped(this.checkpointMsMax)} ms, the largest ${mib(this.checkpointBytesMax)}; ` +
      `up to ${grouped(this.partialMatchesMax)} open partial matches; event-loop lag up to ${grouped(this.loopLagMaxMs)} ms`
    );
  }
}

interface Seen {
  readonly partition: number;
  readonly value: Buffer;
  /** The message timestamp: the broker's append time on the topics this bench creates. */
  readonly at: number;
}

/** Every message of a topic from the beginning, handed to `onMessage`, by a consumer group of its own. */
class Tail {
  private consumer: Consumer | undefined;
  count = 0;
  constructor(
    private readonly topic: string,
    private readonly onMessage: (m: Seen) => void,
  ) {}

  async start(): Promise<void> {
    const groupId = name(`reader-${groups.length}`);
    groups.push(groupId);
    const consumer = client.consumer({ groupId, maxWaitTimeMs: 100 });
    this.consumer = consumer;
    tails.add(this);
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.count++;
        this.onMessage({ partition, value: message.value ?? Buffer.alloc(0), at: Number(message.timestamp) });
      },
    });
  }

  async stop(): Promise<void> {
    tails.delete(this);
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** A mark line for one partition; `sent` (the produce time) when the pipeline lag is wanted. */
function markMessage(k: number, p: number, sent?: number): Message {
  return { partition: p, key: null, value: JSON.stringify(sent === undefined ? { bench_mark: k, p } : { bench_mark: k, p, sent }) };
}

/** The marks read back from a dead-letter topic. */
class Marks {
  /** mark -> partition -> latest append time */
  private readonly at = new Map<number, Map<number, number>>();
  replays = 0;
  /** Append time - produce time of each mark that carried one (first appearances). */
  readonly lags: number[] = [];
  /** The produce times of those marks, in the same order. */
  readonly sentAt: number[] = [];
  /** Lines on the topic that are not marks: the feed's own dead letters. */
  others = 0;

  readonly onMessage = (m: Seen): void => {
    let v: { bench_mark?: unknown; p?: unknown; sent?: unknown } = {};
    try {
      v = JSON.parse(m.value.toString('latin1')) as typeof v;
    } catch {
      // not a mark
    }
    if (typeof v.bench_mark !== 'number' || typeof v.p !== 'number') {
      this.others++;
      return;
    }
    let byPartition = this.at.get(v.bench_mark);
    if (byPartition === undefined) this.at.set(v.bench_mark, (byPartition = new Map()));
    const before = byPartition.get(v.p);
    if (before !== undefined) this.replays++;
    else if (typeof v.sent === 'number') {
      this.lags.push(m.at - v.sent);
      this.sentAt.push(v.sent);
    }
    byPartition.set(v.p, Math.max(before ?? 0, m.at));
  };

  /** When the job had finished mark k on every partition (latest appearances); undefined until it has. */
  done(k: number): number | undefined {
    const byPartition = this.at.get(k);
    if (byPartition === undefined || byPartition.size < PARTITIONS) return undefined;
    return Math.max(...byPartition.values());
  }

  /** When the first partition's copy of mark k appeared. */
  first(k: number): number | undefined {
    const byPartition = this.at.get(k);
    return byPartition === undefined ? undefined : Math.min(...byPartition.values());
  }

  get size(): number {
    let n = 0;
    for (const m of this.at.values()) n += m.size;
    return n;
  }
}

/** Polls until `done`; fails when every process has exited, when marks stop coming for `stallMs`, or after `timeoutMs`. */
async function waitFor(what: string, done: () => boolean, procs: readonly Serve[], marks: Marks, timeoutMs: number, stallMs = 120_000): Promise<void> {
  const started = Date.now();
  let seen = marks.size;
  let progressAt = Date.now();
  while (!done()) {
    if (procs.every((p) => !p.running)) throw new Error(`waiting for ${what}: every serve process exited\n${procs.map((p) => p.stderr).join('\n---\n')}`);
    if (marks.size !== seen) {
      seen = marks.size;
      progressAt = Date.now();
    }
    if (Date.now() - progressAt > stallMs || Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${what} (${marks.size} marks seen)\n${procs.map((p) => p.stderr.slice(-3000)).join('\n---\n')}`);
    }
    await sleep(50);
  }
}

async function sumOffsets(offsets: Promise<Map<number, number>>): Promise<number> {
  let n = 0;
  for (const v of (await offsets).values()) n += v;
  return n;
}

async function redisClient(): Promise<Redis> {
  redis ??= await connectRedis({ url: redisUrl, connectionName: 'vigil-bench-kafka' });
  return redis;
}

/** A first_seen store at `prefix`, seeded with the generated morning's known vehicles (or left empty). */
async function firstSeen(prefix: string, seed: boolean): Promise<RedisFirstSeenStore> {
  const store = new RedisFirstSeenStore(await redisClient(), { prefix });
  if (seed) await seedKnownVehicles(store, generatedMorningTruth);
  return store;
}

interface Usage {
  readonly cpuSeconds: number;
  readonly peakRss: number;
}
const usageText = (u: Usage | null, records?: number): string =>
  u === null
    ? 'CPU and RSS unreadable'
    : `CPU ${u.cpuSeconds.toFixed(1)} s${records === undefined ? '' : ` (${grouped(records / u.cpuSeconds)} records per CPU-second)`}, peak RSS ${mib(u.peakRss)}`;

// ------------------------------------------------------------------ 1. throughput

interface Feed {
  readonly topic: string;
  readonly records: number;
  /** Mark positions in order: 0, every, 2*every, ... (below records), then records (after the final watermark). */
  readonly marks: readonly number[];
}

/** The first `records` generated lines to a fresh 4-partition topic, keyed by checkpoint, with marks and the final watermark. */
async function preProduce(): Promise<Feed> {
  const file = await generatedMorning(records);
  const topic = name('in');
  topics.push(topic);
  await client.ensureTopics([{ topic, partitions: PARTITIONS }]);
  const producer = client.producer();
  await producer.connect();
  const every = Math.max(1000, Math.round(records / 100));
  const marks: number[] = [];
  let batch: Message[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    await producer.send({ topic, messages, acks: -1 });
  };
  const mark = (k: number): void => {
    marks.push(k);
    for (let p = 0; p < PARTITIONS; p++) batch.push(markMessage(k, p));
  };
  const started = Date.now();
  let n = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  try {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (n >= records) break;
      if (line.length === 0) continue;
      if (n % every === 0) mark(n);
      batch.push({ key: checkpointOf(line), value: line });
      const ts = /"ts":(\d+)/.exec(line);
      if (ts !== null) lastTs = Math.max(lastTs, Number(ts[1]));
      n++;
      if (batch.length >= 5000) await flush();
    }
    const watermark = JSON.stringify({ $watermark: lastTs + 86_400_000 });
    for (let p = 0; p < PARTITIONS; p++) batch.push({ partition: p, key: null, value: watermark });
    mark(n);
    await flush();
  } finally {
    await producer.disconnect();
  }
  const ms = Date.now() - started;
  console.log(
    `input: ${grouped(n)} generated records (+ ${marks.length * PARTITIONS} marks, ${PARTITIONS} final watermarks) produced to ${PARTITIONS} partitions ` +
      `keyed by checkpoint in ${secs(ms)} (${grouped(n / (ms / 1000))} records/s), before any serve process starts`,
  );
  return { topic, records: n, marks };
}

interface ThroughputResult {
  readonly rate: number;
}

async function throughput(feed: Feed, members: number): Promise<ThroughputResult> {
  const label = members === 1 ? 'one' : `group${members}`;
  const alerts = name(`alerts-${label}`);
  const late = name(`late-${label}`);
  const dlq = name(`dlq-${label}`);
  topics.push(alerts, late, dlq);
  await client.ensureTopics([{ topic: alerts, config: APPEND_TIME }, { topic: late }, { topic: dlq, config: APPEND_TIME }]);
  const group = name(`group-${label}`);
  groups.push(group);
  const prefix = `vigil:bench:kafka:${runId}:${label}:`;
  const store = await firstSeen(prefix, true);
  const rules = rulesRoutedTo(alerts);
  dirs.push(rules);
  const marks = new Marks();
  const tail = new Tail(dlq, marks.onMessage);
  await tail.start();

  // The group's committed offsets, polled: a cross-check at checkpoint resolution.
  const commits: { at: number; total: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const total = await sumOffsets(client.committedOffsets(group, feed.topic)).catch(() => 0);
      if (total > 0 && commits[commits.length - 1]?.total !== total) commits.push({ at: Date.now(), total });
      await sleep(500);
    }
  })();

  const args = serveArgs({ input: feed.topic, group, rules, late, dlq, prefix });
  const procs = Array.from({ length: members }, () => new Serve(args));
  const samplers = procs.map((p) => new MetricsSampler(p));
  const spawned = Date.now();
  const broker = brokerPid();
  const brokerBefore = broker === null ? null : processUsage(broker);
  let brokerCpu: number | null = null;
  const end = feed.records;
  const usages: (Usage | null)[] = [];
  let codes: (number | null)[] = [];
  try {
    await waitFor('the end mark of every partition on the dead-letter topic', () => marks.done(end) !== undefined, procs, marks, Math.max(600_000, records));
    usages.push(...procs.map((p) => p.usage()));
    const after = broker === null ? null : processUsage(broker);
    if (brokerBefore !== null && after !== null) brokerCpu = after.cpuSeconds - brokerBefore.cpuSeconds;
  } finally {
    polling = false;
    await poller;
    for (const m of samplers) m.stop();
    codes = await Promise.all(procs.map((p) => p.stop()));
    await tail.stop();
    await store.clear().catch(() => undefined);
  }
  const committed = await sumOffsets(client.committedOffsets(group, feed.topic));
  const endOffsets = await sumOffsets(client.endOffsets(feed.topic));
  const alertCount = await sumOffsets(client.endOffsets(alerts));
  const lateCount = await sumOffsets(client.endOffsets(late));

  const positive = feed.marks.filter((k) => k > 0 && k < end);
  const from = positive[0] ?? 0;
  const tFrom = marks.done(from) as number;
  const tEnd = marks.done(end) as number;
  const recordsPerSecond = (end - from) / ((tEnd - tFrom) / 1000);
  const near = (q: number): number => positive.reduce((best, k) => (Math.abs(k - q * end) < Math.abs(best - q * end) ? k : best), from);
  const k10 = near(0.1);
  const k90 = near(0.9);
  const steady = (k90 - k10) / (((marks.done(k90) as number) - (marks.done(k10) as number)) / 1000);
  const firstBatch = (marks.first(0) ?? Number.NaN) - spawned;
  let byCommits = 'n/a (fewer than two checkpoints during the run)';
  const before = commits.filter((c) => c.at <= tEnd + 500);
  if (before.length >= 2) {
    const a = before[0] as (typeof before)[number];
    const b = before[before.length - 1] as (typeof before)[number];
    byCommits = `${grouped((b.total - a.total) / ((b.at - a.at) / 1000))} records/s`;
  }
  const title = members === 1 ? 'one serve process' : `${members} serve processes in one group`;
  console.log(
    `throughput, ${title}, every shipped rule, first_seen seeded: ${grouped(recordsPerSecond)} records/s ` +
      `(${grouped(end - from)} records from the ${grouped(from)} mark to the end mark in ${secs(tEnd - tFrom)}; 10%..90%: ${grouped(steady)} records/s)`,
  );
  console.log(
    `  first batch done ${secs(firstBatch)} after spawn; by committed offsets (moved at 10-s checkpoints): ${byCommits}; ` +
      `${grouped(alertCount)} alerts, ${grouped(lateCount)} late, ${marks.others} other dead letters, ${marks.replays} marks replayed`,
  );
  procs.forEach((_, i) => {
    const u = usages[i] ?? null;
    const role = members === 1 ? 'serve' : `serve #${i + 1}`;
    console.log(`  ${role}: ${usageText(u, members === 1 ? end : undefined)}; exit ${codes[i]}${portArgs.length > 0 ? `; ${samplers[i]?.text()}` : ''}`);
  });
  if (members > 1 && usages.every((u) => u !== null)) {
    const cpu = usages.reduce((a, u) => a + (u as Usage).cpuSeconds, 0);
    console.log(`  together: CPU ${cpu.toFixed(1)} s (${grouped(end / cpu)} records per CPU-second)`);
  }
  // The broker shares the machine's cores with the serve processes: what it takes, they cannot have.
  const phase = (Date.now() - spawned) / 1000;
  console.log(
    `  broker: ${brokerCpu === null ? 'CPU n/a (set VIGIL_BENCH_BROKER_PID, or start it with services/kafka/start.sh)' : `CPU ${brokerCpu.toFixed(1)} s from spawn to the end mark`}; the phase took ${phase.toFixed(0)} s`,
  );
  console.log(
    `  committed offsets after SIGTERM ${committed === endOffsets ? '=' : '!='} end offsets (${grouped(committed)} of ${grouped(endOffsets)}); ${load()}`,
  );
  return { rate: recordsPerSecond };
}

/** The flags every bench serve process runs with: its topics, group, rules, key space and checkpoint interval. */
function serveArgs(o: { input: string; group: string; rules: string; late: string; dlq: string; prefix: string }): string[] {
  return [
    '--input-topic',
    o.input,
    '--group',
    o.group,
    '--rules',
    o.rules,
    '--late-topic',
    o.late,
    '--dead-letter-topic',
    o.dlq,
    '--first-seen-prefix',
    o.prefix,
    '--checkpoint-interval',
    CHECKPOINT_INTERVAL,
  ];
}

/** The broker's pid: VIGIL_BENCH_BROKER_PID, else the pid file services/kafka/start.sh writes; null when neither. */
function brokerPid(): number | null {
  const given = Number(process.env['VIGIL_BENCH_BROKER_PID']);
  if (Number.isInteger(given) && given > 0) return given;
  try {
    const pid = Number(readFileSync(join(repo, 'services', 'kafka', 'data', 'kafka.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ 2. latency

/** The first `count` lines of the peak generated at scale rate/500 (about real time when replayed at `rate`). */
async function peakLines(count: number): Promise<string[]> {
  const scale = Math.round((rate / 500) * 100) / 100;
  // The peak runs at ~95% of 500 x scale records/s at 08:00: a quarter more minutes than the run needs.
  const minutes = Math.max(2, Math.ceil(((count / rate) * 1.25) / 60));
  const file = generatedPeak(scale, minutes);
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (lines.length >= count) break;
    if (line.length > 0) lines.push(line);
  }
  if (lines.length < count) throw new Error(`${file} has ${lines.length} lines, fewer than the ${count} needed: remove it to regenerate`);
  return lines;
}

interface SeenAlert {
  readonly alert: { rule?: unknown; event_time?: unknown; evidence?: unknown };
  readonly at: number;
}

/** The largest ts among the evidence records that carry an id (their produce time here); undefined when none does. */
function lastEvidence(evidence: unknown): number | undefined {
  let last: number | undefined;
  if (evidence === null || typeof evidence !== 'object') return undefined;
  for (const group of Object.values(evidence as Record<string, unknown>)) {
    for (const r of Array.isArray(group) ? group : [group]) {
      if (r === null || typeof r !== 'object') continue;
      const { id, ts } = r as { id?: unknown; ts?: unknown };
      if (typeof id === 'string' && typeof ts === 'number') last = last === undefined ? ts : Math.max(last, ts);
    }
  }
  return last;
}

const TS = /"ts":\d+/;

async function latency(lines: readonly string[], runSeconds: number, boundText: string, patterns: string | undefined): Promise<void> {
  const label = patterns === undefined ? 'shipped' : 'bound';
  const input = name(`live-in-${label}`);
  const alerts = name(`live-alerts-${label}`);
  const late = name(`live-late-${label}`);
  const dlq = name(`live-dlq-${label}`);
  topics.push(input, alerts, late, dlq);
  await client.ensureTopics([
    { topic: input, partitions: PARTITIONS },
    { topic: alerts, config: APPEND_TIME },
    { topic: late },
    { topic: dlq, config: APPEND_TIME },
  ]);
  const group = name(`live-group-${label}`);
  groups.push(group);
  const prefix = `vigil:bench:kafka:${runId}:live-${label}:`;
  const store = await firstSeen(prefix, false);
  const rules = rulesRoutedTo(alerts);
  dirs.push(rules);
  const seen: SeenAlert[] = [];
  const alertTail = new Tail(alerts, (m) => {
    try {
      seen.push({ alert: JSON.parse(m.value.toString('utf8')) as SeenAlert['alert'], at: m.at });
    } catch {
      // not an alert
    }
  });
  const marks = new Marks();
  const markTail = new Tail(dlq, marks.onMessage);
  await alertTail.start();
  await markTail.start();
  const proc = new Serve([...serveArgs({ input, group, rules, late, dlq, prefix }), ...(patterns === undefined ? [] : ['--patterns', patterns])]);
  const sampler = new MetricsSampler(proc);
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  let usage: Usage | null = null;
  let code: number | null = null;
  let sent = 0;
  let t0 = 0;
  let producedEnd = 0;
  let endMark = 0;
  try {
    // Ready: a probe mark on every partition has come through the job.
    await producer.send({ topic: input, messages: Array.from({ length: PARTITIONS }, (_, p) => markMessage(-1, p)), acks: -1 });
    await waitFor('the serve process to take the partitions', () => marks.done(-1) !== undefined, [proc], marks, 120_000);
    const tick = 10;
    t0 = Date.now();
    let nextMarkAt = t0;
    for (;;) {
      const now = Date.now();
      const elapsed = now - t0;
      if (elapsed >= runSeconds * 1000) break;
      const due = Math.min(lines.length, Math.floor((elapsed * rate) / 1000));
      const messages: Message[] = [];
      for (; sent < due; sent++) {
        const line = lines[sent] as string;
        messages.push({ key: checkpointOf(line), value: line.replace(TS, `"ts":${now}`) });
      }
      if (now >= nextMarkAt) {
        for (let p = 0; p < PARTITIONS; p++) messages.push(markMessage(endMark, p, now));
        endMark++;
        nextMarkAt += 1000;
      }
      if (messages.length > 0) await producer.send({ topic: input, messages, acks: -1 });
      const wait = t0 + (Math.floor((Date.now() - t0) / tick) + 1) * tick - Date.now();
      if (wait > 0) await sleep(wait);
    }
    producedEnd = Date.now();
    // Everything produced has been through the job once the end mark is back; then the alert reader catches up.
    await producer.send({ topic: input, messages: Array.from({ length: PARTITIONS }, (_, p) => markMessage(endMark, p)), acks: -1 });
    await waitFor('the end mark of every partition on the dead-letter topic', () => marks.done(endMark) !== undefined, [proc], marks, 600_000);
    await sleep(1000);
    const onTopic = await sumOffsets(client.endOffsets(alerts));
    const deadline = Date.now() + 30_000;
    while (alertTail.count < onTopic && Date.now() < deadline) await sleep(50);
    usage = proc.usage();
  } finally {
    await producer.disconnect().catch(() => undefined);
    sampler.stop();
    code = await proc.stop();
    await alertTail.stop();
    await markTail.stop();
    await store.clear().catch(() => undefined);
  }
  const lateCount = await sumOffsets(client.endOffsets(late));
  const committed = await sumOffsets(client.committedOffsets(group, input));
  const endOffsets = await sumOffsets(client.endOffsets(input));

  const byRule = new Map<string, number>();
  const total: number[] = [];
  const hold: number[] = [];
  const rest: number[] = [];
  let fallback = 0;
  for (const { alert, at } of seen) {
    byRule.set(String(alert.rule), (byRule.get(String(alert.rule)) ?? 0) + 1);
    const eventTime = Number(alert.event_time);
    let produced = lastEvidence(alert.evidence);
    if (produced === undefined) {
      produced = eventTime;
      fallback++;
    }
    const latencyMs = at - produced;
    const held = Math.min(latencyMs, Math.max(0, eventTime + durationMs(boundText) + 1 - produced));
    total.push(latencyMs);
    hold.push(held);
    rest.push(latencyMs - held);
  }
  const q = (xs: number[]): string => {
    xs.sort((a, b) => a - b);
    return `p50 ${msText(quantile(xs, 0.5)).padStart(9)}  p99 ${msText(quantile(xs, 0.99)).padStart(9)}  max ${msText(xs.length === 0 ? Number.NaN : (xs[xs.length - 1] as number)).padStart(9)}`;
  };
  const patternsText = patterns === undefined ? 'the shipped patterns' : 'a patterns copy';
  const alive = (producedEnd - proc.spawnedAt) / 1000;
  console.log(
    `latency, watermark ${boundText} out of order (${patternsText}), ${grouped(rate)} records/s for ${runSeconds} s, first_seen cold: ` +
      `${grouped(sent)} records produced (${grouped(sent / ((producedEnd - t0) / 1000))} records/s achieved), ${grouped(seen.length)} alerts ` +
      `(${
        [...byRule]
          .sort()
          .map(([r, n]) => `${r} ${grouped(n)}`)
          .join(', ') || 'none'
      }), ${grouped(lateCount)} late`,
  );
  if (seen.length === 0) {
    console.log(
      `  no alert visible: each waits until event time passes its event_time + ${boundText} + 1 ms, ` +
        `longer than this ${runSeconds} s run${patterns === undefined ? ' (--shipped-seconds 420 shows them; expect the hold plus the small-bound run\'s "everything else")' : ''}`,
    );
  } else {
    console.log(
      `  alert latency    ${q(total)}  (append time on the alert topic - produce time of the last evidence record${fallback > 0 ? `; ${fallback} without record evidence: from event_time` : ''})`,
    );
    console.log(`  watermark hold   ${q(hold)}  (up to event_time + ${boundText} + 1 ms)`);
    console.log(`  everything else  ${q(rest)}`);
  }
  const slow = [...new Set(marks.sentAt.filter((_, i) => (marks.lags[i] as number) > 500).map((at) => Math.round((at - t0) / 1000)))];
  console.log(
    `  pipeline lag of a mark line (produced -> its dead letter appended, no watermark wait): ${q([...marks.lags])} over ${marks.lags.length} marks` +
      (slow.length === 0
        ? ''
        : `; over 500 ms for marks sent at ${slow
            .slice(0, 12)
            .map((s) => `+${s} s`)
            .join(', ')}${slow.length > 12 ? ', ...' : ''} (serve spawned ${secs(t0 - proc.spawnedAt)} before +0)`),
  );
  console.log(
    `  serve: ${usageText(usage)}, over ${alive.toFixed(0)} s alive at the end of producing${usage === null ? '' : ` (${(usage.cpuSeconds / alive).toFixed(2)} cores)`}; ` +
      `exit ${code}; committed offsets after SIGTERM ${committed === endOffsets ? '=' : '!='} end offsets (${grouped(committed)} of ${grouped(endOffsets)}); ${load()}`,
  );
  if (portArgs.length > 0) console.log(`  serve ${sampler.text()}`);
}

// ------------------------------------------------------------------ main

let cleaned = false;
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const p of [...children]) p.child.kill('SIGKILL');
  for (const t of [...tails]) await t.stop();
  // The service may create topics and groups of its own (internal ones named after the group): every topic and
  // group with the run id in its name goes.
  const admin = await client.admin().catch(() => undefined);
  const listed = ((await admin?.listTopics().catch(() => [])) ?? []).filter((t) => t.includes(runId));
  await client
    .deleteTopics([...new Set([...topics, ...listed])])
    .catch((e: unknown) => process.stderr.write(`could not delete topics: ${(e as Error).message}\n`));
  const ours = ((await admin?.listGroups().catch(() => undefined))?.groups ?? []).map((g) => g.groupId).filter((g) => g.includes(runId));
  if (ours.length > 0)
    await admin?.deleteGroups(ours).catch((e: unknown) => process.stderr.write(`could not delete consumer groups: ${(e as Error).message}\n`));
  await client.close().catch(() => undefined);
  if (redis !== undefined) {
    // Whatever else the run left in Redis (checkpoints, first_seen keys) has the run id in its name.
    await unlinkMatching(redis, `*${runId}*`);
    await redis.quit().catch(() => undefined);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});

try {
  console.log(
    `vigil serve through Kafka ${brokers} and Redis ${redisUrl}, ${PARTITIONS} input partitions, --checkpoint-interval ${CHECKPOINT_INTERVAL}` +
      `${portArgs.length > 0 ? ', --port 0' : ' (this build has no --port)'}; run id ${runId}; ${load()}`,
  );
  if (only !== 'latency') {
    const feed = await preProduce();
    const one = await throughput(feed, 1);
    const pair = await throughput(feed, 2);
    console.log(`pair vs one: ${(pair.rate / one.rate).toFixed(2)}x (${grouped(pair.rate)} vs ${grouped(one.rate)} records/s)`);
  }
  if (only !== 'throughput') {
    const lines = await peakLines(Math.ceil(Math.max(seconds, shippedSeconds) * rate) + 1);
    const dir = patternsWithBound(bound);
    dirs.push(dir);
    await latency(lines, seconds, bound, dir);
    await latency(lines, shippedSeconds, SHIPPED_BOUND, undefined);
  }
} finally {
  await cleanUp();
}
