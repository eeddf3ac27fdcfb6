/** Helpers for `vigil serve` against the real broker and Redis: topics, a producer of NDJSON, child processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simulation, writeSimulation } from '../../src/app/generate.js';
import { runTraffic } from '../../src/app/index.js';
import type { KafkaClient } from '../../src/io/kafka/client.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { unlinkMatching } from '../../src/io/redis/keys.js';
import { BROKERS, uniqueName, until } from '../io/kafka/broker.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const REDIS = process.env['VIGIL_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
export { BROKERS, uniqueName, until };

/** A copy of the shipped rules whose Kafka routes go to `topic` (tests must not share vigil.alerts). */
export function rulesRoutedTo(topic: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-rules-'));
  for (const f of readdirSync(join(REPO, 'rules'))) {
    writeFileSync(join(dir, f), readFileSync(join(REPO, 'rules', f), 'utf8').replace(/kafka: vigil\.alerts/g, `kafka: ${topic}`));
  }
  return dir;
}

/**
 * `rulesRoutedTo(alerts)` with each rule also routed to a webhook at `url`, its secret from HOOK_SECRET, and any
 * extra route options (`backoff: 50ms`, say) as YAML flow-map entries.
 */
export function rulesWithWebhook(alerts: string, url: string, options = 'backoff: 50ms, breaker_cooldown: 1s'): string {
  const dir = rulesRoutedTo(alerts);
  const extra = options === '' ? '' : `, ${options}`;
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    writeFileSync(join(dir, f), text.replace(/( +)- kafka: (\S+)\n/, `$1- kafka: $2\n$1- webhook: { url: "${url}", secret: env:HOOK_SECRET${extra} }\n`));
  }
  return dir;
}

export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The checkpoint of an NDJSON line (the camera feed's partition key), null when the line has none. */
function checkpointOf(line: string): string | null {
  const m = /"checkpoint"\s*:\s*"([^"]*)"/.exec(line);
  return m === null ? null : (m[1] as string);
}

/**
 * A generated city feed written to `dir`: its lines, its latest event time (for a final watermark past it), and the
 * alerts `vigil run` gives on it, as NDJSON lines: what a serve test compares the alert topic with.
 */
export async function generatedFeed(dir: string, options: Parameters<typeof simulation>[0]): Promise<{ lines: string[]; lastTs: number; alerts: string[] }> {
  const input = join(dir, 'traffic.ndjson');
  await writeSimulation(simulation(options), input);
  const lines = readFileSync(input, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  let lastTs = Number.NEGATIVE_INFINITY;
  for (const l of lines) lastTs = Math.max(lastTs, (JSON.parse(l) as { ts: number }).ts);
  const out = join(dir, 'alerts.ndjson');
  await runTraffic({ cwd: dir, input, out }, { stdout: () => {}, stderr: () => {} });
  const alerts = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return { lines, lastTs, alerts };
}

/** The shipped 20-minute sample's lines and its latest event time (for a final watermark past it). */
export function sampleTraffic(): { lines: string[]; lastTs: number } {
  const lines = readFileSync(join(REPO, 'fixtures', 'sample-traffic.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  // The fixture's times are epoch ms; ISO text is read too. Reading numbers with Date.parse gave NaN, so -Infinity.
  const time = (ts: unknown): number => (typeof ts === 'number' ? ts : Date.parse(String(ts)));
  const lastTs = Math.max(...lines.map((l) => time((JSON.parse(l) as { ts: unknown }).ts)).filter(Number.isFinite));
  if (!Number.isFinite(lastTs)) throw new Error('the sample traffic has no record with a time');
  return { lines, lastTs };
}

/** Produces lines keyed by checkpoint, as a camera feed partitioned by checkpoint would. */
export async function produceLines(client: KafkaClient, topic: string, lines: readonly string[]): Promise<void> {
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let from = 0; from < lines.length; from += 2000) {
      const messages = lines.slice(from, from + 2000).map((value) => ({ key: checkpointOf(value), value }));
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/** One `{"$watermark": ms}` line to every partition: a feed's end, so a live run fires what a file run fires at its end. */
export async function produceFinalWatermark(client: KafkaClient, topic: string, partitions: number, ms: number): Promise<void> {
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  try {
    const value = JSON.stringify({ $watermark: ms });
    await producer.send({ topic, messages: Array.from({ length: partitions }, (_, partition) => ({ partition, key: null, value })), acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Every message of a topic read so far, from the beginning, as parsed JSON with its headers. */
export class TopicReader {
  readonly values: { value: Record<string, unknown>; headers: Record<string, string>; raw: Buffer }[] = [];
  private consumer: ReturnType<KafkaClient['consumer']> | undefined;
  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
  ) {}
  async start(): Promise<void> {
    const consumer = this.client.consumer({ groupId: uniqueName('vigil-it-reader') });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const raw = message.value ?? Buffer.alloc(0);
        let value: Record<string, unknown> = {};
        try {
          value = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          value = {};
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        this.values.push({ value, headers, raw });
      },
    });
  }
  ids(): Set<string> {
    return new Set(this.values.map((v) => String(v.value['id'])));
  }
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** The flags every test's serve process runs with: its topics, group, rules routed to `alerts`, key space, interval. */
export function serveFlags(o: {
  input: string;
  group: string;
  alerts: string;
  late: string;
  dead: string;
  firstSeenPrefix: string;
  checkpointSeconds: number;
}): string[] {
  return [
    '--input-topic',
    o.input,
    '--group',
    o.group,
    '--rules',
    rulesRoutedTo(o.alerts),
    '--late-topic',
    o.late,
    '--dead-letter-topic',
    o.dead,
    '--first-seen-prefix',
    o.firstSeenPrefix,
    '--checkpoint-interval',
    String(o.checkpointSeconds),
  ];
}

/** A `vigil serve` child process (the built CLI), its stderr kept for assertions and failure messages. */
export class ServeProcess {
  readonly child: ChildProcess;
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `services` points the process at another broker or Redis than the shared ones (a private one a fault test stops). */
  constructor(args: readonly string[], services: { readonly kafka?: string; readonly redis?: string } = {}) {
    const kafka = services.kafka ?? BROKERS;
    const redis = services.redis ?? REDIS;
    this.child = spawn(process.execPath, [join(REPO, 'bin', 'vigil.js'), 'serve', '--kafka', kafka, '--redis', redis, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Port 0: processes of one run (and of parallel test files) never fight over the default 8080.
      env: { ...process.env, VIGIL_KAFKA: undefined, VIGIL_REDIS: undefined, VIGIL_PORT: '0' },
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/**
 * What serve processes of a test file leave behind, to delete afterwards: first_seen keys under each prefix (and the
 * store's displaced-answer keys, which share the prefix but its last character), checkpoints, alert history and rule
 * sets of each group, and the group's repartition topics. The machine's Redis and broker outlive the run (CI reuses
 * them).
 */
export class Leftovers {
  private readonly prefixes: string[] = [];
  private readonly groups: string[] = [];

  firstSeenPrefix(): string {
    const p = `${uniqueName('vigil-it-fs')}:`;
    this.prefixes.push(p);
    return p;
  }

  group(name = 'vigil-it-serve-group'): string {
    const g = uniqueName(name);
    this.groups.push(g);
    return g;
  }

  async clean(client: KafkaClient): Promise<void> {
    await this.cleanTopics(client);
    await this.cleanRedis();
  }

  /** The groups' repartition topics. */
  async cleanTopics(client: KafkaClient): Promise<void> {
    const admin = await client.admin();
    const internal = (await admin.listTopics()).filter((t) => this.groups.some((g) => t.startsWith(`${g}-`)));
    await client.deleteTopics(internal).catch(() => undefined);
  }

  /** The keys in Redis (default the shared one). */
  async cleanRedis(url = REDIS): Promise<void> {
    const redis = await connectRedis({ url, connectionName: 'vigil-test-leftovers' });
    try {
      const patterns = [
        ...this.prefixes.map((p) => `${p.slice(0, -1)}*`),
        ...this.groups.flatMap((g) => [`vigil:checkpoint:${g}:*`, `vigil:rules:${g}:*`]),
        // The alert history: its stream and seen set.
        ...this.groups.map((g) => `vigil:alerts:{${g}}*`),
        // Day data: flow, trajectories and final results.
        ...this.groups.map((g) => `vigil:day:{${g}}*`),
      ];
      for (const pattern of patterns) await unlinkMatching(redis, pattern);
    } finally {
      redis.disconnect();
    }
  }
}

/** One sample of a Prometheus text exposition. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a /metrics answer (comments and the help/type lines left out). */
export function parseMetrics(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/gm)) {
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The address a serve process logged, once it did. */
export function serveUrl(p: ServeProcess): string | undefined {
  return /listening on (http:\/\/\S+)/.exec(p.stderr)?.[1];
}
