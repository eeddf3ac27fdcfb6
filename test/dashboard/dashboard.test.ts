/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core opens the page `npm start` serves
 * (`vigil demo`, here at a fast pace), waits for an alert of every enabled rule to arrive live over the SSE stream,
 * looks up the cloned plate and sees its sightings, and saves screenshots under .ci/out/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env['VIGIL_CHROMIUM'] ?? '/usr/bin/chromium';
const OUT = join(ROOT, '.ci', 'out');
/** 50 minutes of recording in about 12 s: the first alert comes some 5 s in, after the page is up. */
const PACE = 250;

/** Starts `vigil demo` as `npm start` does (the build is npm test's pretest) and resolves with the URL it prints. */
function startDemo(): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'demo', '--port', '0', '--pace', String(PACE)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIGIL_TOKEN: '' },
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil demo printed no URL in 30 s:\n${err}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`vigil demo exited ${code}:\n${err}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Vigil dashboard: (http:\/\/\S+?)\/?\n/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, log: () => err });
      }
    });
  });
}

const haveChromium = existsSync(CHROMIUM);
// On CI (.ci/run installs chromium) a missing browser fails the run; on a developer's machine the test is skipped.
if (!haveChromium && process.env['CI'] !== undefined) throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`);

describe.skipIf(!haveChromium)(`dashboard in headless Chromium (${haveChromium ? CHROMIUM : `skipped: no ${CHROMIUM}`})`, () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    // The browser first: launching it is the slow part on a loaded machine, and the demo's replay starts as it does.
    profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1920, height: 1080 },
    });
    demo = await startDemo();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    demo?.child.kill('SIGTERM');
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it('shows an alert of every rule live, a plate lookup with its sightings, the map, charts and status', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${demo.url}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    // The page was up before any alert: every one it shows came over the live stream.
    expect(await page.getAttribute('body', 'data-initial-alerts')).toBe('0');

    const info = (await (await page.request.get(`${demo.url}/api/dashboard`)).json()) as { rules: { id: string }[] };
    const rules = info.rules.map((r) => r.id).sort();
    expect(rules).toEqual(['cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow']);
    // Locators, not page functions: the page's content security policy allows no eval.
    const deadline = Date.now() + 45_000;
    for (const id of rules)
      await page
        .locator(`#alerts li[data-rule="${id}"][data-live="true"]`)
        .first()
        .waitFor({ timeout: Math.max(1, deadline - Date.now()) });
    // Each row names a place from the registry and a time in the city's zone (HH:MM:SS).
    for (const id of rules) {
      const row = page.locator(`#alerts li[data-rule="${id}"]`).first();
      expect(await row.locator('.time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(((await row.locator('.place').textContent()) ?? '').length).toBeGreaterThan(3);
    }
    // The replay ends; the watermark and counters are shown.
    await page.locator('#st-health', { hasText: 'replayed' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#st-watermark').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(Number(((await page.locator('#st-records').textContent()) ?? '').replaceAll(',', ''))).toBeGreaterThan(20_000);
    await page.waitForTimeout(800); // one more redraw of the charts and the map
    // The city chart has a line (uPlot draws on a canvas; its data shows in the series' path).
    expect(await page.locator('#chart-city canvas').count()).toBe(1);
    expect(await page.locator('#congestion li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'dashboard.png') });

    // Vehicle origins: plate_origin_15m's `origins`, places the stream named from fixtures/plate-prefixes.json (the
    // generated city's plates are mostly Hangzhou's, 浙A): the first row is Hangzhou, with its share and count.
    await page.locator('#extra-tabs button', { hasText: 'Vehicle origins' }).click();
    await page.locator('#extra-body td', { hasText: 'Hangzhou 杭州' }).first().waitFor({ timeout: 5_000 });
    const origin = page.locator('#extra-body tr').first().locator('td');
    expect(await origin.nth(0).textContent()).toBe('Hangzhou 杭州');
    expect(await origin.nth(1).textContent()).toMatch(/^\d+(\.\d)?%$/);
    expect(Number(await origin.nth(2).textContent())).toBeGreaterThan(0);

    // Top vehicles: top_vehicles_1h's `vehicles` rankings ("plate|plate_color"), one row per vehicle and checkpoint,
    // the most passes first: the first row names a plate (province character, city letter, five more), never "?".
    await page.locator('#extra-tabs button', { hasText: 'Top vehicles' }).click();
    // (Until the tab's first redraw the table still shows the origins.)
    await page.locator('#extra-body tr td:nth-child(4)').first().waitFor({ timeout: 5_000 });
    const first = page.locator('#extra-body tr').first().locator('td');
    expect(await first.nth(0).textContent()).toMatch(/^\p{Script=Han}[A-Z][A-Z0-9]{5,6}$/u);
    expect(await first.nth(1).textContent()).toMatch(/^[a-z_]+$/);
    expect(((await first.nth(2).textContent()) ?? '').length).toBeGreaterThan(3);
    const counts = (await page.locator('#extra-body tr td:nth-child(4)').allTextContents()).map(Number);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));

    // The cloned plate: typed into the lookup, its sightings come back from /api/vehicles.
    const clone = page.locator('#alerts li[data-rule="cloned-plate"] .detail').first();
    const plate = ((await clone.textContent()) ?? '').split(' ')[0] as string;
    await page.fill('#lookup-plate', plate);
    await page.click('#lookup-form button');
    await page.locator('#lookup-table tr.sighting').nth(1).waitFor({ timeout: 10_000 });
    expect(await page.locator('#lookup-summary').textContent()).toContain(plate);
    expect(await page.locator('#lookup-summary').textContent()).toContain('cloned-plate');
    await page.screenshot({ path: join(OUT, 'dashboard-lookup.png') });
    expect(problems).toEqual([]);
  }, 90_000);
});
