/** `vigil check` on the large and odd inputs: exit 1 with file:line:col, never exit 2; and --time-zone. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-lang-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const SOURCE = 'source passes\n  event time ts\n';

describe('vigil check', () => {
  it('refuses an `or` chain of 1,245 terms and 833 nested calls with exit 1 and their places', async () => {
    const chain = Array.from({ length: 1245 }, (_, i) => `speed == ${i}`).join(' or ');
    const nested = `${'abs('.repeat(833)}speed${')'.repeat(833)} > 1`;
    const p = write('deep.pattern', `${SOURCE}stream s = from passes where ${chain}\nstream t = from passes where ${nested}\n`);
    const io = captureIo(dir);
    expect(await main(['check', p], io)).toBe(1);
    const firsts = io.err.split('\n').filter((l) => l.startsWith('deep.pattern:'));
    // The calls are refused before parsing, at the 257th bracket; the other declaration still parses and is refused too.
    expect(firsts.map((l) => l.split(': ')[0])).toEqual(['deep.pattern:3:30', `deep.pattern:4:${30 + 4 * 256 + 3}`]);
    expect(io.err).toContain('nested too deeply');
    expect(io.err).toContain('brackets nest too deeply');
  });

  it('refuses a{10000000} with exit 1', async () => {
    const io = captureIo(dir);
    expect(await main(['check', write('count.pattern', `${SOURCE}pattern p from passes match a{10000000} within 1h\n`)], io)).toBe(1);
    expect(io.err).toMatch(/^count\.pattern:3:30: the counts in 'a\{10000000\}' are too large/);
  });

  it('compiles a watchlist of 30,000 plates', async () => {
    const plates = Array.from({ length: 30_000 }, (_, i) => `"浙A${String(i).padStart(5, '0')}"`).join(', ');
    const io = captureIo(dir);
    expect(await main(['check', write('watch.pattern', `${SOURCE}stream watched = from passes where plate in [${plates}]\n`)], io)).toBe(0);
  });

  it('refuses a NaN rule parameter with the key path', async () => {
    const r = write('nan.yaml', 'id: r1\npattern: cloned_plate\nparams:\n  max_speed_kmh: .nan\n');
    const io = captureIo(dir);
    expect(await main(['check', r], io)).toBe(1);
    expect(io.err).toMatch(/^nan\.yaml:4:18: params\.max_speed_kmh: expected a finite number, got \.nan/);
  });

  it("takes --time-zone, and refuses an unknown zone as the user's error", async () => {
    const p = write('night.pattern', `${SOURCE}stream night = from passes where local_hour(ts) >= 22 or local_hour(ts) < 6\n`);
    expect(await main(['check', p, '--time-zone', 'Asia/Shanghai'], captureIo(dir))).toBe(0);
    const io = captureIo(dir);
    expect(await main(['check', p, '--time-zone', 'Mars/Olympus'], io)).toBe(1);
    expect(io.err).toMatch(/unknown time zone 'Mars\/Olympus'/);
  });
});
