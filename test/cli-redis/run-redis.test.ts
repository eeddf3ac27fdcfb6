import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { displacedPrefix } from '../../src/io/first-seen/redis-store.js';
import { captureIo } from '../cli/helpers.js';

// Real Redis (services/redis/start.sh, run by .ci/run): `vigil run --redis` keeps first sightings across runs.
const url = process.env['VIGIL_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefix = `vigil:test:${randomUUID()}:`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-run-redis-'));
const alertsOf = (path: string): Array<{ rule: string; id: string }> =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { rule: string; id: string });

afterAll(async () => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keys = [...(await redis.keys(`${prefix}*`)), ...(await redis.keys(`${displacedPrefix(prefix)}*`))];
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('vigil run --redis (first_seen in the real Redis)', () => {
  const run = async (out: string, store: string[]) => {
    const io = captureIo();
    const code = await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--out', out, ...store], io);
    expect(io.err).toMatch(/^vigil run: /);
    return code;
  };

  it('gives the same alerts as the memory store on a first run, and no first entries on a replay', async () => {
    const memory = join(dir, 'memory.ndjson');
    const first = join(dir, 'first.ndjson');
    const second = join(dir, 'second.ndjson');
    expect(await run(memory, [])).toBe(0);
    expect(await run(first, ['--redis', url, '--first-seen-prefix', prefix])).toBe(0);
    expect(await run(second, ['--redis', url, '--first-seen-prefix', prefix])).toBe(0);
    const ids = (p: string, rule?: string) =>
      alertsOf(p)
        .filter((a) => rule === undefined || a.rule === rule)
        .map((a) => a.id);
    expect(ids(first)).toEqual(ids(memory));
    expect(ids(first, 'first-entry').length).toBeGreaterThan(0);
    // The replay sees every vehicle as known already: the same records are not first sightings any more... except
    // that first_seen is true again for the very record that was first (replaying a record gives the same answer).
    expect(ids(second, 'first-entry')).toEqual(ids(first, 'first-entry'));
  });

  it('gives a replay the same alert ids when earlier sightings of its new vehicles reached the store in between', async () => {
    // A run; then a camera's backlog with a sighting of each vehicle the run found new, from ten minutes before that
    // first sighting; then the run replayed (after a crash, say). The replay's first entries are the same records.
    const store = ['--redis', url, '--first-seen-prefix', `${prefix}backlog:`];
    const first = join(dir, 'backlog-first.ndjson');
    const replay = join(dir, 'backlog-replay.ndjson');
    expect(await run(first, store)).toBe(0);
    const entries = alertsOf(first).filter((a) => a.rule === 'first-entry') as unknown as Array<{ evidence: { e: Array<Record<string, unknown>> } }>;
    expect(entries.length).toBeGreaterThan(0);
    const backlog = join(dir, 'backlog.ndjson');
    writeFileSync(
      backlog,
      entries
        .map((a, i) => {
          const { direction: _direction, ...e } = a.evidence.e[0] as Record<string, unknown>;
          return JSON.stringify({ ...e, id: `backlog-${i}`, checkpoint: 'CP0042', lane: 1, ts: (e['ts'] as number) - 10 * 60_000 });
        })
        .join('\n') + '\n',
    );
    const io = captureIo();
    expect(await main(['run', '--input', backlog, '--out', join(dir, 'backlog-alerts.ndjson'), ...store], io)).toBe(0);
    expect(io.err).toMatch(new RegExp(`${entries.length} records \\(0 dead letters, 0 late\\)`));
    expect(await run(replay, store)).toBe(0);
    const ids = (p: string) =>
      alertsOf(p)
        .map((a) => a.id)
        .sort();
    expect(ids(replay)).toEqual(ids(first));
  });

  it('exits 1 with a clear message when Redis cannot be reached', async () => {
    const io = captureIo();
    const code = await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--out', join(dir, 'x.ndjson'), '--redis', 'redis://127.0.0.1:1'], io);
    expect(code).toBe(1);
    expect(io.err).toMatch(/^vigil run: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
