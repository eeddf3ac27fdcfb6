import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/helpers.js';

// Real Redis (services/redis/start.sh, run by .ci/run): `vigil run --redis` keeps first sightings across runs.
const url = process.env['VIGIL_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefix = `vigil:test:${randomUUID()}:`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-run-redis-'));
const alertsOf = (path: string): Array<{ rule: string; id: string }> =>
  readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string; id: string });

afterAll(async () => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keys = await redis.keys(`${prefix}*`);
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
    const ids = (p: string, rule?: string) => alertsOf(p).filter((a) => rule === undefined || a.rule === rule).map((a) => a.id);
    expect(ids(first)).toEqual(ids(memory));
    expect(ids(first, 'first-entry').length).toBeGreaterThan(0);
    // The replay sees every vehicle as known already: the same records are not first sightings any more... except
    // that first_seen is true again for the very record that was first (replaying a record gives the same answer).
    expect(ids(second, 'first-entry')).toEqual(ids(first, 'first-entry'));
  });

  it('exits 1 with a clear message when Redis cannot be reached', async () => {
    const io = captureIo();
    const code = await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--out', join(dir, 'x.ndjson'), '--redis', 'redis://127.0.0.1:1'], io);
    expect(code).toBe(1);
    expect(io.err).toMatch(/^vigil run: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
