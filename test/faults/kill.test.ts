import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import {
  BROKERS,
  generatedFeed,
  Leftovers,
  produceFinalWatermark,
  produceLines,
  ServeProcess,
  scratchDir,
  serveFlags,
  serveUrl,
  TopicReader,
  uniqueName,
  until,
} from '../serve/harness.js';
import { isReady, SteadyProducer, seededRandom } from './load.js';

const PARTITIONS = 4;
const KILLS = 5;
/** The rest of the feed is written over about this long: the kills fall while it is being written. */
const FEED_SECONDS = 50;
/** The share of the feed on the topic before the first process starts. */
const HEAD_SHARE = 0.5;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-faults-kill' });
const topics: string[] = [];
const leftovers = new Leftovers();
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];
let lines: string[] = [];
const expected = new Map<string, Record<string, unknown>>();
let lastTs = 0;
const dir = scratchDir();

beforeAll(async () => {
  await requireBroker();
  // Half an hour of a morning at 0.03 scale (~24k records): first-entry's alerts come from minute 10 on, so they
  // flow from early in the run while the kills fall.
  const feed = await generatedFeed(dir, { seed: '17', start: Date.parse('2026-03-02T07:40:00+08:00'), minutes: 30, scale: 0.03, anomalies: true });
  lines = feed.lines;
  lastTs = feed.lastTs;
  for (const l of feed.alerts) {
    const alert = JSON.parse(l) as Record<string, unknown>;
    expected.set(String(alert['id']), alert);
  }
}, 120_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

/** Alerts on the topic that `vigil run` did not give (a new id), shown with the processes' logs when there are any. */
function strays(reader: TopicReader): string[] {
  return reader.values.filter((v) => !expected.has(String(v.value['id']))).map((v) => v.raw.toString('utf8'));
}

describe('vigil serve under kill -9', () => {
  it(`loses no alert and makes none with a new id over ${KILLS} kills at random moments under a steady load`, async () => {
    expect(expected.size).toBeGreaterThan(10);
    const input = uniqueName('vigil-it-kill-in');
    const alerts = uniqueName('vigil-it-kill-alerts');
    const late = uniqueName('vigil-it-kill-late');
    const dead = uniqueName('vigil-it-kill-dlq');
    topics.push(input, alerts, late, dead);
    await client.ensureTopics([{ topic: input, partitions: PARTITIONS }, { topic: alerts }, { topic: late }, { topic: dead }]);
    const group = leftovers.group('vigil-it-kill-group');
    const args = [...serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 2 }), '--public-read'];
    const reader = new TopicReader(client, alerts);
    readers.push(reader);
    await reader.start();

    // The seed is printed so that a failing run's kill moments can be replayed (VIGIL_FAULT_SEED).
    const seed = Number(process.env['VIGIL_FAULT_SEED'] ?? Date.now() % 1_000_000);
    console.info(`kill test: seed ${seed}`);
    const random = seededRandom(seed);
    // The first part of the morning is there when the first process starts (a service coming up on a live topic), so
    // that alerts flow while the kills fall; the rest comes at a steady rate meanwhile, then the feed's end.
    const head = Math.floor(lines.length * HEAD_SHARE);
    await produceLines(client, input, lines.slice(0, head));
    const load = new SteadyProducer(client, input, lines.slice(head), (lines.length - head) / FEED_SECONDS);
    const end = load.done.then(() => produceFinalWatermark(client, input, PARTITIONS, lastTs + 86_400_000));
    end.catch(() => undefined);
    const logs = (): string => processes.map((p, i) => `--- process ${i}\n${p.stderr.slice(-2000)}`).join('\n');
    const moments: string[] = [];
    let amid = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const p = new ServeProcess(args);
      processes.push(p);
      const started = Date.now();
      const before = reader.values.length;
      let exited = false;
      void p.exited.then(() => (exited = true));
      await until(
        `process ${kill} ready`,
        async () => {
          if (exited) throw new Error(`process ${kill} exited before it was ready`);
          return isReady(p);
        },
        60_000,
        100,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${logs()}`);
      });
      const ready = Date.now();
      // A random moment once it sends alerts (or has been up a while without any to send): between checkpoints,
      // during one, while a batch is half sent.
      await until('alerts from it', () => reader.values.length > before || Date.now() - ready > 6000, 8000, 50);
      const sending = reader.values.length > before;
      const delay = Math.floor(random() * 3000);
      await new Promise((r) => setTimeout(r, delay));
      p.kill('SIGKILL');
      const exit = await p.exited;
      // It died of the kill, not of something before it.
      expect(exit.signal, p.stderr).toBe('SIGKILL');
      if (sending) amid++;
      moments.push(
        `ready after ${ready - started} ms, killed ${Date.now() - ready} ms later${sending ? ' amid its alerts' : ''} (${head + load.produced}/${lines.length} produced, ${reader.values.length} alert messages)`,
      );
      // After each kill: nothing on the topic that vigil run does not give.
      expect(strays(reader), logs()).toEqual([]);
    }
    console.info(`kill test: kills\n  ${moments.join('\n  ')}`);
    // Most kills fall while the process sends alerts (the case that replays them); that they all can is not timed.
    expect(amid, 'kills amid alerts').toBeGreaterThan(0);

    const last = new ServeProcess(args);
    processes.push(last);
    await end;
    await until('every expected alert id on the alert topic', () => [...expected.keys()].every((id) => reader.ids().has(id)), 120_000, 200).catch(
      (e: unknown) => {
        const missing = [...expected.keys()].filter((id) => !reader.ids().has(id));
        throw new Error(
          `${(e as Error).message}: ${missing.length} of ${expected.size} missing, e.g. ${JSON.stringify(expected.get(missing[0] ?? ''))}\n${logs()}`,
        );
      },
    );
    // Strays would come with the last ones: a little longer for them.
    await new Promise((r) => setTimeout(r, 2000));
    expect(strays(reader)).toEqual([]);
    expect(reader.ids()).toEqual(new Set(expected.keys()));
    // A replayed alert is the same alert: every copy of an id has the body of the first (but the processing time it
    // was detected at), and the rule, key and severity vigil run gave it. (Not always its event time: serve learns
    // camera clock offsets per input partition, vigil run over the whole feed, and the corrected times can differ by
    // a fraction of a second; the evidence, and so the id, are the same.)
    const first = new Map<string, Record<string, unknown>>();
    for (const { value } of reader.values) {
      const { detected_at: _detected, ...body } = value;
      const id = String(value['id']);
      const seen = first.get(id);
      if (seen === undefined) first.set(id, body);
      else expect(body, `a replayed ${id}`).toEqual(seen);
      const run = expected.get(id) as Record<string, unknown>;
      for (const field of ['rule', 'key', 'severity']) expect(value[field], `${field} of ${id}`).toEqual(run[field]);
    }
    // Every restart resumed from checkpoints the killed processes stored, not from the start.
    expect(processes.slice(1).filter((p) => p.stderr.includes('restored checkpoint')).length).toBeGreaterThan(0);
    // The history, written by all six processes, holds each alert once.
    const history: string[] = [];
    await until(
      'every alert in the history',
      async () => {
        history.length = 0;
        let cursor: string | null = null;
        do {
          const res: Response = await fetch(`${serveUrl(last)}/api/alerts?limit=500${cursor === null ? '' : `&cursor=${cursor}`}`);
          const page = (await res.json()) as { alerts: { alert: { id: string } }[]; next: string | null };
          history.push(...page.alerts.map((a) => a.alert.id));
          cursor = page.next;
        } while (cursor !== null);
        return history.length >= expected.size;
      },
      30_000,
      500,
    );
    expect(history.length).toBe(new Set(history).size);
    expect(new Set(history)).toEqual(new Set(expected.keys()));
    console.info(`kill test: ${reader.values.length} alert messages for ${expected.size} alerts (${reader.values.length - expected.size} replayed)`);
    last.kill('SIGTERM');
    expect((await last.exited).code, last.stderr).toBe(0);
    // Each phase has its own bound; the whole is given room for a loaded machine (CI took over 300 s once).
  }, 600_000);
});
