/** Pattern files copied away with the table files they read (src/app/copy-patterns.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyPatterns } from '../../src/app/copy-patterns.js';
import { tempDir, vigil } from '../cli/helpers.js';

const SOURCE = 'source s\n  event time ts\n';

describe('copyPatterns', () => {
  it('copies the table files at the same place relative to the copies, and the copy checks', async () => {
    const root = tempDir({
      'lib/p/a.pattern': `${SOURCE}table t = file "../data/t.json" at "x"\nstream n = from s select lookup(t, k) as name\n`,
      'lib/p/b.pattern': 'table u = { "1": "one" }\n',
      'lib/p/notes.txt': 'not a pattern',
      'lib/data/t.json': '{ "x": { "k1": "first" } }',
      'lib/data/unread.json': '{}',
    });
    const to = tempDir();
    const dir = copyPatterns({ from: join(root, 'lib', 'p'), root: join(root, 'lib'), toRoot: to });
    expect(dir).toBe(join(to, 'p'));
    expect(readFileSync(join(to, 'data', 't.json'), 'utf8')).toBe('{ "x": { "k1": "first" } }');
    expect(existsSync(join(to, 'p', 'b.pattern'))).toBe(true);
    expect(existsSync(join(to, 'p', 'notes.txt'))).toBe(false);
    expect(existsSync(join(to, 'data', 'unread.json'))).toBe(false);
    const r = await vigil(['check', dir]);
    expect(r.code, r.err).toBe(0);
  });

  it('refuses a table file outside the folder the copy mirrors', () => {
    const root = tempDir({ 'p/a.pattern': 'table t = file "../../t.json"\n' });
    expect(() => copyPatterns({ from: join(root, 'p'), root, toRoot: tempDir() })).toThrow(/a\.pattern: the table file '\.\.\/\.\.\/t\.json' is outside/);
  });
});
