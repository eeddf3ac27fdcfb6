/**
 * `vigil` as a process: what only a real pipe, a real socket or a missing build shows (issue 12).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../cli/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'vigil.js');
const sample = join(root, 'fixtures', 'sample-traffic.ndjson');

/** Runs `vigil ARGS | head -1` in bash; the command's own exit code and stderr. */
function intoHead(args: readonly string[]): { code: number; err: string } {
  const dir = tempDir();
  const errFile = join(dir, 'err.txt');
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['-c', `'${process.execPath}' '${bin}' ${quoted} 2>'${errFile}' | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: Number(r.stdout.trim()), err: readFileSync(errFile, 'utf8') };
}

describe('a reader that stops early (| head)', () => {
  it.each([
    ['run', ['run', '--input', sample, '--stream', 'plates', '--format', 'ndjson']],
    ['match', ['match', '--pattern', join(root, 'patterns', 'cloned-plate.pattern'), '--input', sample]],
    ['generate', ['generate', '--minutes', '240', '--scale', '0.2']],
  ])('ends vigil %s quietly: exit 0, no EPIPE stack trace', (_name, args) => {
    const r = intoHead(args);
    expect(r.err).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(0);
  });
});

describe('a checkout that was never built', () => {
  it('says how to build instead of failing to resolve dist/', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(bin, join(dir, 'bin', 'vigil.js'));
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'vigil.js'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vigil: not built \(no .*dist\/src\/cli\/main\.js\); run `npm install` or `npm run build` in /);
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|\n\s+at /);
  });
});

describe('a refused Redis connection', () => {
  it("prints one clear line, without ioredis's unhandled-error noise", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = spawnSync(process.execPath, [bin, 'run', '--input', sample, '--redis', `redis://127.0.0.1:${port}`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`vigil run: cannot reach Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});
