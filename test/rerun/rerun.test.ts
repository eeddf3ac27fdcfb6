/**
 * The next-morning re-run end to end, against the real broker and Redis: `vigil serve` runs a day in which camera
 * CP0002 is offline from 01:00 to 03:00 (city time) and flushes those two hours at the end of the feed; its live
 * results miss them. `vigil rerun` over the day's file then publishes the final results, which the same service's
 * /api/days/DAY serves instead, marked final, with what changed.
 *
 * The fixture, built below: 24 vehicles, one every 10 minutes from 00:00 to 03:50 on 2026-03-03 (Asia/Shanghai),
 * each seen at CP0001 and two minutes later at CP0002 (speed 60, or 130 at CP0002 for every third vehicle: 0, 3, 6,
 * ...). Vehicles 6 to 17 pass CP0002 between 01:02 and 02:52: those 12 sightings arrive late. One more vehicle at
 * 23:50 the day before, speeding at CP0001, belongs to no result of the day (the feed starts there: a live feed
 * refuses a record an hour ahead of its watermark). Two rules:
 *  - speeding (speed > 120): live it sees vehicles 0, 3, 18 and 21 (and the one of the day before); the re-run adds
 *    6, 9, 12 and 15;
 *  - missed-b (seen at CP0001, not at CP0002 within 10 minutes): live it fires for vehicles 6 to 17, whose CP0002
 *    sightings were late; the re-run withdraws all 12.
 * Flow of the day (flow_1m windows starting in the day): CP0001 24 live and final; CP0002 12 live, 24 final.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinalDay } from '../../src/app/rerun.js';
import type { Alert } from '../../src/dsl/index.js';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { vigil } from '../cli/helpers.js';
import { requireBroker } from '../io/kafka/broker.js';
import { BROKERS, Leftovers, produceFinalWatermark, produceLines, REPO, ServeProcess, scratchDir, serveUrl, uniqueName, until } from '../serve/harness.js';

const DAY = '2026-03-03';
const ZONE = 'Asia/Shanghai';
const local = (hhmm: string, day = DAY): number => Date.parse(`${day}T${hhmm}:00+08:00`);
const MIN = 60_000;

const PATTERNS = `
source passes
  event time ts
  watermark 1m out of order
  schema traffic

stream plates = from passes
  where plate_readable

-- What the trajectory API reads (as patterns/analytics.pattern has it): the CP0002 backlog comes up to 3 hours late.
stream trajectory_steps = from plates
  key by plate, plate_color, local_date(ts)
  keep 1d
  allowed lateness 4h
  select id, plate, plate_color, checkpoint, ts, direction, speed, lane, ts - prev(ts) as gap

stream flow_1m = from passes
  key by checkpoint
  window tumbling 1m
  select checkpoint, count() as flow

pattern speeding
  from plates
  key by plate, plate_color
  define s as speed > 120
  match s
  emit { plate: s.plate, checkpoint: s.checkpoint, speed: s.speed }

pattern missed_b
  from plates
  key by plate, plate_color
  define
    a as checkpoint == "CP0001"
    b as checkpoint == "CP0002"
  match a not followed by b
  within 10m
  emit { plate: a.plate, at: a.ts }
`;

const rule = (id: string, pattern: string, topic: string): string =>
  `id: ${id}\npattern: ${pattern}\nseverity: medium\nenabled: true\nroutes:\n  - kafka: ${topic}\ndescription: test rule ${id}\n`;

interface Line {
  readonly id: string;
  readonly plate: string;
  readonly checkpoint: string;
  readonly speed: number;
  readonly ts: number;
}

const plateOf = (i: number): string => `浙A${String(10_000 + i)}`;
const json = (l: Line): string =>
  JSON.stringify({
    id: l.id,
    plate: l.plate,
    plate_color: 'blue',
    vehicle_type: 'car',
    checkpoint: l.checkpoint,
    lane: 1,
    direction: 'in',
    speed: l.speed,
    ts: l.ts,
  });

/** The day's feed: the records on time, in event-time order, and CP0002's sightings from 01:00 to 03:00, held back. */
function feed(): { onTime: string[]; held: string[]; last: number } {
  const onTime: Line[] = [];
  const held: Line[] = [];
  const prior = local('23:50', '2026-03-02');
  onTime.push({ id: 'p-a', plate: '浙B00001', checkpoint: 'CP0001', speed: 130, ts: prior });
  onTime.push({ id: 'p-b', plate: '浙B00001', checkpoint: 'CP0002', speed: 60, ts: prior + 2 * MIN });
  for (let i = 0; i < 24; i++) {
    const a = local('00:00') + i * 10 * MIN;
    const b = a + 2 * MIN;
    onTime.push({ id: `v${i}-a`, plate: plateOf(i), checkpoint: 'CP0001', speed: 60, ts: a });
    const atB: Line = { id: `v${i}-b`, plate: plateOf(i), checkpoint: 'CP0002', speed: i % 3 === 0 ? 130 : 60, ts: b };
    if (b >= local('01:00') && b < local('03:00')) held.push(atB);
    else onTime.push(atB);
  }
  onTime.sort((x, y) => x.ts - y.ts);
  return { onTime: onTime.map(json), held: held.map(json), last: Math.max(...onTime.map((l) => l.ts)) };
}

const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-rerun' });
const leftovers = new Leftovers();
const topics: string[] = [];
let serve: ServeProcess | undefined;
const dir = scratchDir();

beforeAll(async () => {
  await requireBroker();
}, 60_000);

afterAll(async () => {
  serve?.kill('SIGKILL');
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const tags = (alerts: readonly Alert[], ids: readonly string[]): string[] => {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  return ids.map((id) => {
    const a = byId.get(id);
    return a === undefined ? `unknown ${id}` : `${a.rule} ${(a.payload as { plate: string }).plate}`;
  });
};

describe('vigil rerun: the day re-run replaces the live results', () => {
  it('publishes final results that add the late camera’s alerts, withdraw the ones its absence caused and correct its flow', async () => {
    const patterns = join(dir, 'patterns');
    const rules = join(dir, 'rules');
    const input = uniqueName('vigil-it-rerun-in');
    const alertsTopic = uniqueName('vigil-it-rerun-alerts');
    const late = uniqueName('vigil-it-rerun-late');
    const dead = uniqueName('vigil-it-rerun-dlq');
    topics.push(input, alertsTopic, late, dead);
    await client.ensureTopics([{ topic: input, partitions: 1 }, { topic: alertsTopic }, { topic: late }, { topic: dead }]);
    mkdirSync(patterns);
    mkdirSync(rules);
    writeFileSync(join(patterns, 'day.pattern'), PATTERNS);
    writeFileSync(join(rules, 'speeding.yaml'), rule('speeding', 'speeding', alertsTopic));
    writeFileSync(join(rules, 'missed-b.yaml'), rule('missed-b', 'missed_b', alertsTopic));
    const { onTime, held, last } = feed();
    // The day's file as the cameras' uplink wrote it: the backlog at the end.
    const dayFile = join(dir, 'day.ndjson');
    writeFileSync(dayFile, `${[...onTime, ...held].join('\n')}\n`);
    const group = leftovers.group('vigil-it-rerun');
    const firstSeen = leftovers.firstSeenPrefix();

    const flags = [
      '--input-topic',
      input,
      '--group',
      group,
      '--patterns',
      patterns,
      '--rules',
      rules,
      '--late-topic',
      late,
      '--dead-letter-topic',
      dead,
      '--first-seen-prefix',
      firstSeen,
      '--checkpoint-interval',
      '1',
      '--time-zone',
      ZONE,
      '--day-flow',
      'flow_1m',
      '--public-read',
    ];
    const started = async (): Promise<string> => {
      serve = new ServeProcess(flags);
      let url = '';
      await until('the serve address', () => (url = serveUrl(serve as ServeProcess) ?? '') !== '', 60_000, 100);
      await until('a ready service', async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, 200);
      return url;
    };
    let url = await started();
    let seen = '';
    const watermarkAt = (at: number, what: string): Promise<void> =>
      until(
        what,
        async () => {
          const job = await getJson<{ tasks: { watermark: number | null }[] }>(`${url}/api/job`);
          seen = JSON.stringify(job);
          return job.tasks.length > 0 && job.tasks.every((t) => (t.watermark ?? -Infinity) >= at);
        },
        60_000,
        200,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}: /api/job said ${seen}; serve said ${serve?.stderr}`);
      });
    // The records on time; once every stage's watermark has passed them (1 minute out of order), the backlog, late.
    await produceLines(client, input, onTime);
    await watermarkAt(last - MIN - 1, 'the watermark past the records on time');
    await produceLines(client, input, held);
    const end = last + 60 * MIN;
    await produceFinalWatermark(client, input, 1, end);
    // Every task's watermark past the end: the live run is over. A stop drains the alert history and the day data
    // into Redis; a second process of the group then serves the API.
    await watermarkAt(end, 'the end of the live run');
    (serve as ServeProcess).kill('SIGTERM');
    expect((await (serve as ServeProcess).exited).code).toBe(0);
    url = await started();

    const live = await getJson<{ final: boolean; alerts: Alert[]; flow: Record<string, number> | null }>(`${url}/api/days/${DAY}`);
    expect(live.final).toBe(false);
    const liveTags = live.alerts.map((a) => `${a.rule} ${(a.payload as { plate: string }).plate}`).sort();
    const missedLive = Array.from({ length: 12 }, (_, k) => `missed-b ${plateOf(6 + k)}`);
    expect(liveTags).toEqual([...missedLive, ...[0, 3, 18, 21].map((i) => `speeding ${plateOf(i)}`)].sort());
    expect(live.flow).toEqual({ CP0001: 24, CP0002: 12 });

    // The trajectory of a vehicle whose second sighting came two hours late: both sightings, in event-time order.
    const trip = await getJson<{ day: string; sightings: { checkpoint: string; ts: number; gapS: number | null }[] }>(
      `${url}/api/vehicles/${encodeURIComponent(plateOf(6))}?day=${DAY}`,
    );
    expect(trip.day).toBe(DAY);
    expect(trip.sightings.map((s) => [s.checkpoint, s.ts, s.gapS])).toEqual([
      ['CP0001', local('01:00'), null],
      ['CP0002', local('01:02'), 120],
    ]);
    expect((await fetch(`${url}/api/vehicles/${encodeURIComponent(plateOf(6))}?day=2026-03-02`)).status).toBe(404);

    const reportFile = join(dir, 'final.json');
    const rerun = await vigil(
      [
        'rerun',
        '--day',
        DAY,
        '--input',
        dayFile,
        '--group',
        group,
        '--redis',
        process.env['VIGIL_TEST_REDIS'] ?? 'redis://127.0.0.1:6379',
        '--patterns',
        patterns,
        '--rules',
        rules,
        '--time-zone',
        ZONE,
        '--first-seen-prefix',
        firstSeen,
        '--report',
        reportFile,
      ],
      REPO,
    );
    expect(rerun.err).toContain(`published the final results of ${DAY}`);
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain('8 final alert(s), 16 live: 4 added, 12 withdrawn, 4 unchanged');
    expect(rerun.out).toContain('CP0002: 12 -> 24 (+12)');

    const final = await getJson<FinalDay>(`${url}/api/days/${DAY}`);
    expect(final.final).toBe(true);
    // --report wrote what was published.
    expect(JSON.parse(readFileSync(reportFile, 'utf8'))).toEqual(final);
    expect(final.flow).toEqual({ CP0001: 24, CP0002: 24 });
    expect(final.alerts.map((a) => `${a.rule} ${(a.payload as { plate: string }).plate}`).sort()).toEqual(
      [0, 3, 6, 9, 12, 15, 18, 21].map((i) => `speeding ${plateOf(i)}`).sort(),
    );
    // Added: the speeding at the offline camera; withdrawn: every absence its lateness made (both by id, in event-time order).
    expect(tags(final.alerts, final.report.alerts.added)).toEqual([6, 9, 12, 15].map((i) => `speeding ${plateOf(i)}`));
    expect(tags(live.alerts, final.report.alerts.withdrawn)).toEqual(missedLive);
    expect(final.report.alerts.unchanged).toBe(4);
    // Unchanged alerts keep their ids from live to final.
    const liveSpeeding = live.alerts.filter((a) => a.rule === 'speeding').map((a) => a.id);
    expect(liveSpeeding.every((id) => final.alerts.some((a) => a.id === id))).toBe(true);
    expect(final.report.flow).toEqual({
      stream: 'flow_1m',
      liveRecorded: true,
      liveTotal: 36,
      finalTotal: 48,
      corrected: [{ checkpoint: 'CP0002', live: 12, final: 24 }],
    });
    const days = await getJson<{ days: { day: string; final: boolean; added: number; withdrawn: number; flowCorrected: number }[] }>(`${url}/api/days`);
    expect(days.days).toEqual([expect.objectContaining({ day: DAY, final: true, added: 4, withdrawn: 12, flowCorrected: 1, alerts: 8 })]);
    (serve as ServeProcess).kill('SIGTERM');
    await (serve as ServeProcess).exited;
  }, 300_000);
});
