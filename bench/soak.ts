/**
 * Soak (issue 17): a `vigil serve` child process under a steady load through the real broker for --minutes, with
 * every shipped rule routed to Kafka and to a webhook receiver run by this process, sampling its memory; prints the
 * series and a verdict.
 *
 *   npm run soak -- [--minutes 10] [--rate 5000] [--bound 2s] [--cold] [--kafka host:port] [--redis URL]
 *                   [--node-arg FLAG]... [--serve-arg ARG]...
 *
 * Input: the generated morning peak at scale rate/500 (bench/util.ts generatedPeak: the city's 08:00 traffic, so
 * one vehicle's captures keep about real time between them), produced every 10 ms at --rate records/s to an input
 * topic of 4 partitions keyed by checkpoint, each record's ts rewritten to its produce time (event time = wall
 * time). first_seen is seeded with the generator's known vehicles, as a deployed city's store is (--cold: empty,
 * every vehicle new, first-entry holding a partial match for each). The patterns are a copy of the shipped ones with the watermark bound set to --bound (default 2s): with the
 * shipped 5 minutes no alert would be visible in a short soak; the alerts take the same path.
 *
 * Measured:
 * - resident memory (VmRSS of the child, /proc) every 10 s;
 * - the processing part of alert latency: the alert's append time on the alert topic (LogAppendTime) minus the
 *   moment the watermark could first pass its last evidence, max(produce time of the last evidence record,
 *   event_time + bound + 1 ms). Event time being produce time, the watermark (max ts seen - bound) passes event_time
 *   no earlier than event_time + bound; what remains is fetch, the watermark of the slowest partition, the batch's
 *   processing and the sink's flush. The hold itself (the bound) is configuration, not processing;
 * - webhook deliveries received (POSTs answered 200), and error lines (`error ...`) in the child's log.
 * Planted clones: the generated input's anomalies need 20 minutes of baseline (flow) or 10 of confirmation (first
 * entry) before they alert, so a short soak would see no alert to time. Every --clone-every seconds (default 20; 0:
 * none) a cloned plate is planted: one plate seen at the two inner checkpoints of the registry farthest apart, four
 * times 20 s apart (two impossible pairs), so cloned-plate raises a confirmed alert about a minute later.
 * Verdict: RSS flat after warm-up (the least-squares slope over the last half of the samples under
 * --rss-slope MiB/min, default 2), processing p99 under 200 ms, no error line, every alert delivered by webhook.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Consumer, Message } from 'kafkajs';
import { openFirstSeenStore, seedKnownVehicles } from '../src/app/lookups.js';
import { KafkaClient } from '../src/io/kafka/client.js';
import { haversineKm } from '../src/traffic/geo.js';
import {
  argNumber,
  argString,
  checkpointOf,
  generatedPeak,
  grouped,
  patternsWithBound,
  peakTruth,
  quantile,
  removeServeLeftovers,
  repo,
  rulesRoutedTo,
} from './util.js';

const minutes = argNumber('minutes', 10);
const rate = argNumber('rate', 5000);
/** --cold: first_seen starts empty, every vehicle is new (first-entry holds a partial match for each: the first hour). */
const cold = process.argv.includes('--cold');
const bound = argString('bound', '2s');
const brokers = argString('kafka', '127.0.0.1:9092');
const redisUrl = argString('redis', 'redis://127.0.0.1:6379');
const rssSlopeLimit = argNumber('rss-slope', 2);
const cloneEverySeconds = argNumber('clone-every', 20);
/** --node-arg X (repeatable): a flag for the serve child's node, e.g. --cpu-prof or --max-old-space-size=512. */
const repeated = (flag: string): string[] => process.argv.flatMap((a, i, all) => (a === flag && all[i + 1] !== undefined ? [all[i + 1] as string] : []));
const nodeArgs = repeated('--node-arg');
/** --serve-arg X (repeatable): an argument for `vigil serve`, e.g. --serve-arg --cep-kept-budget --serve-arg 50000. */
const serveArgs = repeated('--serve-arg');
const P99_LIMIT_MS = 200;
const SAMPLE_MS = 10_000;
const PARTITIONS = 4;
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const name = (what: string): string => `vigil-soak-${runId}-${what}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const boundMs = ((m) => (m === null ? Number.NaN : Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000)))(/^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(bound));
if (!(boundMs >= 0)) throw new Error(`--bound ${bound}: expected e.g. 500ms, 2s or 1m`);

const client = new KafkaClient({ brokers, clientId: 'vigil-soak' });
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRET_ENV = 'VIGIL_SOAK_HOOK_SECRET';

/** The webhook receiver: answers every POST 200 and counts the distinct idempotency keys. */
function receiver(): Promise<{ server: Server; url: string; keys: Set<string>; posts: () => number }> {
  const keys = new Set<string>();
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') keys.add(id);
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, keys, posts: () => posts })),
  );
}

/** The shipped rules routed to the run's alert topic, each with a webhook route to the receiver as well. */
function soakRules(alerts: string, url: string): string {
  const dir = rulesRoutedTo(alerts);
  for (const f of ['bus-lane.yaml', 'cloned-plate.yaml', 'first-entry.yaml', 'sudden-congestion.yaml', 'sudden-flow.yaml', 'tail-restriction.yaml']) {
    const path = join(dir, f);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    writeFileSync(path, text.replace(/^routes:\n/m, `routes:\n  - webhook: { url: ${url}, secret: env:${SECRET_ENV} }\n`));
  }
  return dir;
}

async function inputLines(count: number): Promise<{ lines: string[]; truth: string }> {
  const scale = Math.round((rate / 500) * 100) / 100;
  const file = generatedPeak(scale, Math.max(2, Math.ceil(((count / rate) * 1.25) / 60)));
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (lines.length >= count) break;
    if (line.length > 0) lines.push(line);
  }
  if (lines.length < count) throw new Error(`${file} has ${lines.length} lines, fewer than ${count}: remove it to regenerate`);
  return { lines, truth: peakTruth(file) };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The largest ts among the evidence records that carry an id (their produce time here). */
function lastEvidence(evidence: unknown): number | undefined {
  let last: number | undefined;
  if (evidence === null || typeof evidence !== 'object') return undefined;
  for (const group of Object.values(evidence as Record<string, unknown>))
    for (const r of Array.isArray(group) ? group : [group]) {
      const { id, ts } = (r ?? {}) as { id?: unknown; ts?: unknown };
      if (typeof id === 'string' && typeof ts === 'number') last = last === undefined ? ts : Math.max(last, ts);
    }
  return last;
}

const TS = /"ts":\d+/;

/** The sum of a metric over its label sets on /metrics; NaN when the scrape fails. */
async function metric(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m !== null && m[1] === name) sum += Number(m[2]);
    }
    return sum;
  } catch {
    return Number.NaN;
  }
}
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

interface Checkpoint {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
  readonly kind?: string;
  readonly segment: string;
  readonly direction?: string;
}

/** The two inner checkpoints of the registry farthest apart: no car drives between them in a minute. */
function farthestInner(file: string): readonly [Checkpoint, Checkpoint] {
  const inner = (JSON.parse(readFileSync(file, 'utf8')) as Checkpoint[]).filter((c) => c.kind !== 'entry');
  let best: [Checkpoint, Checkpoint] | undefined;
  let bestKm = -1;
  for (const a of inner)
    for (const b of inner) {
      const km = haversineKm(a.lat, a.lon, b.lat, b.lon);
      if (km > bestKm) {
        bestKm = km;
        best = [a, b];
      }
    }
  if (best === undefined) throw new Error(`${file}: no inner checkpoints to plant clones at`);
  return best;
}

/** One planted clone's sightings: A, B, A, B, 20 s apart from `at` (wall time, which is event time here). */
function plantClone(n: number, at: number, [a, b]: readonly [Checkpoint, Checkpoint]): { due: number; cp: string; line: string }[] {
  const plate = `京Z${String(n % 100_000).padStart(5, '0')}`;
  return [a, b, a, b].map((c, k) => ({
    due: at + k * 20_000,
    cp: c.id,
    line: JSON.stringify({
      id: `soak-clone-${n}-${k}`,
      plate,
      plate_color: 'blue',
      vehicle_type: 'car',
      checkpoint: c.id,
      lane: 1,
      ...(c.direction === undefined ? {} : { direction: c.direction }),
      speed: 50,
      ts: 0,
    }),
  }));
}

async function main(): Promise<void> {
  const seconds = minutes * 60;
  const { lines, truth } = await inputLines(Math.ceil(seconds * rate));
  // A deployed city's first_seen store knows its vehicles: seeded with the generator's known ones, as bench:run
  // does, the soak measures the steady state; an empty store makes every vehicle new (the city's first hour).
  const firstSeenPrefix = `vigil:soak:${runId}:`;
  if (!cold) {
    const store = await openFirstSeenStore({ redis: redisUrl, prefix: firstSeenPrefix });
    await seedKnownVehicles(store, truth);
    await store.close();
  }
  const hook = await receiver();
  const input = name('in');
  const alerts = name('alerts');
  const late = name('late');
  const dlq = name('dlq');
  await client.ensureTopics([
    { topic: input, partitions: PARTITIONS },
    { topic: alerts, config: { 'message.timestamp.type': 'LogAppendTime' } },
    { topic: late },
    { topic: dlq },
  ]);
  const rules = soakRules(alerts, hook.url);
  const patterns = patternsWithBound(bound);
  const group = name('group');
  const env: NodeJS.ProcessEnv = { ...process.env, [SECRET_ENV]: SECRET };
  for (const k of Object.keys(env)) if (k.startsWith('VIGIL_') && k !== SECRET_ENV) delete env[k];
  let log = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(repo, 'bin', 'vigil.js'),
      'serve',
      '--kafka',
      brokers,
      '--redis',
      redisUrl,
      '--input-topic',
      input,
      '--group',
      group,
      '--rules',
      rules,
      '--patterns',
      patterns,
      '--late-topic',
      late,
      '--dead-letter-topic',
      dlq,
      '--first-seen-prefix',
      firstSeenPrefix,
      '--port',
      '0',
      ...serveArgs,
    ],
    { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  child.stderr?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const seen: Array<{ alert: { event_time?: unknown; evidence?: unknown; rule?: unknown }; at: number }> = [];
  const consumer: Consumer = client.consumer({ groupId: name('reader'), maxWaitTimeMs: 100 });
  const producer = client.producer({ idempotent: true });
  const rss: Array<[number, number]> = [];
  /** The consumer's lag behind the input topic at each sample (/metrics): a process that cannot keep up shows here. */
  const lags: number[] = [];
  let metricsUrl = '';
  let sent = 0;
  let clones = 0;
  let code: number | null = null;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [alerts], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          seen.push({ alert: JSON.parse(message.value?.toString('utf8') ?? '') as (typeof seen)[number]['alert'], at: Number(message.timestamp) });
        } catch {
          // not an alert
        }
      },
    });
    await producer.connect();
    // Ready: the partitions are assigned (/readyz can answer before: the log line says so) and /readyz answers 200.
    const readyBy = Date.now() + 120_000;
    for (;;) {
      const url = /listening on (https?:\/\/\S+)/.exec(log)?.[1];
      if (
        url !== undefined &&
        /input partition\(s\) assigned/.test(log) &&
        (await fetch(`${url}/readyz`)
          .then((r) => r.ok)
          .catch(() => false))
      )
        break;
      if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`vigil serve did not become ready:\n${log.slice(-3000)}`);
      await sleep(200);
    }
    metricsUrl = `${/listening on (https?:\/\/\S+)/.exec(log)?.[1]}/metrics`;
    const pid = child.pid as number;
    const t0 = Date.now();
    const cloneAt = farthestInner(join(repo, 'fixtures', 'checkpoints.json'));
    const planted: { due: number; cp: string; line: string }[] = [];
    let nextClone = cloneEverySeconds > 0 ? t0 + cloneEverySeconds * 1000 : Number.POSITIVE_INFINITY;
    rss.push([0, rssOf(pid)]);
    let nextSample = t0 + SAMPLE_MS;
    for (;;) {
      const now = Date.now();
      if (now - t0 >= seconds * 1000) break;
      const due = Math.min(lines.length, Math.floor(((now - t0) * rate) / 1000));
      const messages: Message[] = [];
      for (; sent < due; sent++) {
        const line = lines[sent] as string;
        messages.push({ key: checkpointOf(line), value: line.replace(TS, `"ts":${now}`) });
      }
      if (now >= nextClone) {
        planted.push(...plantClone(++clones, now, cloneAt));
        planted.sort((x, y) => x.due - y.due);
        nextClone += cloneEverySeconds * 1000;
      }
      while (planted.length > 0 && (planted[0] as { due: number }).due <= now) {
        const p = planted.shift() as { cp: string; line: string };
        messages.push({ key: p.cp, value: p.line.replace(TS, `"ts":${now}`) });
      }
      if (messages.length > 0) await producer.send({ topic: input, messages, acks: -1 });
      if (now >= nextSample) {
        rss.push([(now - t0) / 1000, rssOf(pid)]);
        const lag = await metric(metricsUrl, 'vigil_consumer_lag_records');
        lags.push(lag);
        process.stderr.write(
          `soak +${Math.round((now - t0) / 1000)} s: ${grouped(sent)} records sent, RSS ${mib(rss[rss.length - 1]?.[1] ?? 0)}, consumer lag ${grouped(lag)} records, ${seen.length} alerts\n`,
        );
        nextSample += SAMPLE_MS;
      }
      const wait = 10 - ((Date.now() - t0) % 10);
      await sleep(wait);
    }
    // The alerts of the last records come once the watermark passes them: a few bounds, then what is on the topic.
    await sleep(Math.max(5000, 3 * boundMs));
    rss.push([(Date.now() - t0) / 1000, rssOf(pid)]);
  } finally {
    await producer.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    code = await exited;
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    hook.server.close();
    await client.deleteTopics([input, alerts, late, dlq]).catch(() => undefined);
    await removeServeLeftovers({ redis: redisUrl, group, firstSeenPrefix, client }).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
    rmSync(rules, { recursive: true, force: true });
    rmSync(patterns, { recursive: true, force: true });
  }

  const processing: number[] = [];
  const byRule = new Map<string, number>();
  for (const { alert, at } of seen) {
    byRule.set(String(alert.rule), (byRule.get(String(alert.rule)) ?? 0) + 1);
    const eventTime = Number(alert.event_time);
    const produced = lastEvidence(alert.evidence) ?? eventTime;
    processing.push(at - Math.max(produced, eventTime + boundMs + 1));
  }
  processing.sort((a, b) => a - b);
  const p50 = quantile(processing, 0.5);
  const p99 = quantile(processing, 0.99);
  const errors = log.split('\n').filter((l) => /^error\b/i.test(l) || /"level":"error"/.test(l));
  const half = rss.slice(Math.floor(rss.length / 2));
  const slopePerMin =
    half.length < 3
      ? Number.NaN
      : slope(
          half.map(([t]) => t / 60),
          half.map(([, b]) => b / 2 ** 20),
        );

  console.log(
    `soak: ${minutes} min at ${grouped(rate)} records/s: ${grouped(sent)} records produced, ${grouped(clones)} clones planted; ${loadavg()[0]?.toFixed(1)} load on ${availableParallelism()} cores`,
  );
  console.log(`RSS every ${SAMPLE_MS / 1000} s (s: MiB): ${rss.map(([t, b]) => `${Math.round(t)}: ${(b / 2 ** 20).toFixed(0)}`).join(', ')}`);
  console.log(`consumer lag (records) at the same samples: ${lags.map((l) => grouped(l)).join(', ')}`);
  console.log(
    `alerts: ${grouped(seen.length)} on the alert topic (${
      [...byRule]
        .sort()
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none'
    }); webhook: ${grouped(hook.keys.size)} distinct deliveries, ${grouped(hook.posts())} POSTs`,
  );
  console.log(
    `processing latency (append time - max(last evidence produced, event_time + ${bound} + 1 ms)): p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${processing.length} alerts`,
  );
  console.log(`errors in the log: ${errors.length}${errors.length > 0 ? `: ${errors.slice(0, 5).join(' | ')}` : ''}; serve exit ${code}`);
  const checks: Array<[string, boolean]> = [
    [`RSS slope over the last half ${slopePerMin.toFixed(2)} MiB/min < ${rssSlopeLimit}`, slopePerMin < rssSlopeLimit],
    [`processing p99 ${Number.isNaN(p99) ? 'n/a' : `${p99.toFixed(0)} ms`} < ${P99_LIMIT_MS} ms`, p99 < P99_LIMIT_MS],
    [`no error in the log (${errors.length})`, errors.length === 0],
    [`every alert delivered by webhook (${hook.keys.size} of ${seen.length})`, hook.keys.size >= seen.length && seen.length > 0],
    [`serve exited 0 on SIGTERM (${code})`, code === 0],
    [
      `kept up: consumer lag at the last sample ${grouped(lags[lags.length - 1] ?? Number.NaN)} records < 2 s of input`,
      (lags[lags.length - 1] ?? Number.NaN) < 2 * rate,
    ],
  ];
  for (const [text, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  if (!checks.every(([, ok]) => ok)) console.log(`the child's log, last lines:\n${log.split('\n').slice(-15).join('\n')}`);
  console.log(`verdict: ${checks.every(([, ok]) => ok) ? 'PASS' : 'FAIL'}`);
  await client.close();
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}

await main();
