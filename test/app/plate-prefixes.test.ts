/** The shipped plate-prefix table and the names the dashboard shows for plate_origin_15m's prefixes. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlatePrefixes, prefixName } from '../../src/app/live/plate-prefixes.js';
import { tempDir } from '../cli/helpers.js';

describe('plate prefixes', () => {
  const table = loadPlatePrefixes();

  it('names every province character and the cities of Zhejiang and Jiangsu', () => {
    expect(Object.keys(table.provinces)).toHaveLength(31);
    expect(Object.keys(table.cities)).toHaveLength(24);
    expect(prefixName(table, '浙A')).toBe('Hangzhou 杭州');
    expect(prefixName(table, '苏E')).toBe('Suzhou 苏州');
    // A city letter the table lacks: the province's name.
    expect(prefixName(table, '京A')).toBe('Beijing 北京');
    expect(prefixName(table, '浙')).toBe('Zhejiang 浙江');
    expect(prefixName(table, 'X1')).toBeNull();
  });

  it('refuses a table whose keys are not one (province) or two (city) characters', () => {
    const dir = tempDir();
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ provinces: { 浙江: 'Zhejiang' }, cities: {} }));
    expect(() => loadPlatePrefixes(path)).toThrow(/'provinces' entry '浙江' must be one character/);
  });
});
