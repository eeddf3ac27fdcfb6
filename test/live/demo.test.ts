/** `vigil demo`'s service over the bundled recording, as fast as it goes: every standard rule alerts, the feeds fill. */
import { describe, expect, it } from 'vitest';
import { DemoService } from '../../src/app/live/demo.js';
import { DEMO_INPUT, DEMO_TRUTH } from '../../src/cli/commands/demo.js';
import { silentLogger } from '../../src/core/index.js';

describe('DemoService over fixtures/demo-traffic.ndjson.gz', () => {
  it('raises an alert of every standard rule, keeps the dashboard streams and indexes the sightings', async () => {
    const demo = new DemoService({ cwd: process.cwd(), input: DEMO_INPUT, knownVehicles: DEMO_TRUTH, pace: 1e9, timeZone: 'Asia/Shanghai', log: silentLogger });
    expect(demo.info.streams).toEqual(expect.arrayContaining(['flow_1m', 'segment_speed_1m']));
    await demo.start();
    await demo.done();
    const page = await demo.alerts.page({}, { limit: 100 });
    const rules = page.alerts.map((e) => e.alert.rule);
    expect([...new Set(rules)].sort()).toEqual(['cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow']);
    // Only the planted ones: the clone, the jam, the surge, the drop and the two newcomers.
    expect(rules).toHaveLength(6);
    expect(demo.status()).toMatchObject({ state: 'stopped' });
    expect(demo.status().tasks[0]?.watermark).toBeGreaterThan(Date.parse('2026-03-02T08:10:00+08:00'));
    expect(demo.replay()).toMatchObject({ released: 26_778, total: 26_778 });
    expect(demo.streams.list().find((s) => s.name === 'flow_1m')?.total).toBeGreaterThan(5_000);
    const clone = page.alerts.find((e) => e.alert.rule === 'cloned-plate')?.alert.payload as { plate: string };
    expect(demo.vehicles.sightingsNow(clone.plate).length).toBeGreaterThanOrEqual(2);
    expect(demo.metrics.total('vigil_alerts_total')).toBe(6);
  }, 60_000);
});

describe('vigil demo', () => {
  it('--once serves the page while it replays (50 minutes in 1 s), prints the URL and exits 0 at the end', async () => {
    const { captureIo } = await import('../cli/helpers.js');
    const { main } = await import('../../src/cli/main.js');
    const captured = captureIo();
    let page: Promise<number> | undefined;
    const io = {
      ...captured,
      stdout: (t: string) => {
        captured.stdout(t);
        const url = /Vigil dashboard: (\S+)/.exec(t)?.[1];
        if (url !== undefined) page = fetch(url).then((r) => r.status);
      },
    };
    expect(await main(['demo', '--once', '--pace', '3000', '--port', '0'], io)).toBe(0);
    expect(captured.out).toMatch(/^Vigil dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    expect(await page).toBe(200);
    expect(captured.err).toMatch(/26778 of 26778 records replayed, 6 alerts/);
  }, 60_000);

  it('refuses a bad pace, stream or input with a clear message', async () => {
    const { vigil } = await import('../cli/helpers.js');
    expect(await vigil(['demo', '--pace', '0', '--port', '0'])).toMatchObject({ code: 1, err: expect.stringContaining('--pace must be a positive number') });
    expect(await vigil(['demo', '--stream', 'nope', '--port', '0'])).toMatchObject({ code: 1, err: expect.stringContaining('--stream nope: no such stream') });
    expect(await vigil(['demo', '--input', 'missing.ndjson', '--port', '0'])).toMatchObject({ code: 1 });
  });
});
