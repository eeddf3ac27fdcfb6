/**
 * The first hour from a clean clone: `git clone`, `npm install`, then `npx vigil --version` and `npx vigil check`
 * work, and the product reads nothing outside the clone.
 *
 * How reads outside are found: the clone sits alone in a fresh temporary folder, and the product's commands run
 * under strace, which lists every file the process and its children open or stat. Every access that succeeded must
 * be inside the clone, or be the runtime itself (the node binary, shared libraries, /proc, /sys, /dev, the
 * system's TLS, resolver and time zone files), or a folder above the clone (stats made while resolving paths).
 * Failed probes (ENOENT: Node looking for an optional module up the tree) are not reads. Without strace that part
 * is skipped, and a static check still fails on any tracked file naming a path outside the repository.
 *
 * The clone is of the last commit (git clone), so uncommitted changes are not tested here. npm install uses the
 * npm cache first (--prefer-offline) and runs the `prepare` build, which takes most of the minute or two.
 */
import { execFileSync, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const hasStrace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const parent = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-clone-')));
const clone = join(parent, 'vigil');
// No update check, audit or funding request: npm install touches the network only for packages not in its cache.
const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false', NO_COLOR: '1' };

afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** The install and build run at the lowest CPU priority: the suite's timing-sensitive service tests run beside them. */
const hasNice = process.platform !== 'win32' && spawnSync('nice', ['true']).status === 0;

function run(cmd: string, args: readonly string[], timeout = 240_000): SpawnSyncReturns<string> {
  const [c, a] = hasNice ? ['nice', ['-n', '19', cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, { cwd: clone, env, encoding: 'utf8', timeout });
}

/** System files any Node process reads: the runtime, not the product. */
function isRuntime(path: string): boolean {
  const node = [process.execPath, realpathSync(process.execPath)];
  if (node.includes(path)) return true;
  return [
    /^\/(proc|sys|dev)\//,
    /^\/(usr\/)?lib(64|32)?\//,
    /^\/etc\/(ld\.so\.|ssl\/|ca-certificates|resolv\.conf|nsswitch\.conf|hosts$|host\.conf|gai\.conf|localtime|timezone|svc\.conf|netsvc\.conf)/,
    /^\/usr\/share\/(zoneinfo|ca-certificates|ssl)\//,
  ].some((re) => re.test(path));
}

/**
 * Paths an strace log (-f) shows accessed successfully outside `clone`, other than the runtime's and the folders
 * above the clone. A call split by another thread (`<unfinished ...>` ... `<... resumed>`) counts with its result.
 */
function outsideReads(log: string, clone: string): string[] {
  const ancestors = new Set<string>();
  for (let d = clone; d !== dirname(d); d = dirname(d)) ancestors.add(dirname(d));
  const outside = new Set<string>();
  const pending = new Map<string, string>();
  const take = (raw: string, result: number): void => {
    if (result < 0 || raw === '') return;
    const path = isAbsolute(raw) ? raw : resolve(clone, raw);
    if (path === clone || path.startsWith(clone + '/') || ancestors.has(path) || isRuntime(path)) return;
    outside.add(path);
  };
  for (const line of log.split('\n')) {
    const call = /^(\d+)\s+\w+\((?:AT_FDCWD, |-?\d+, )?"([^"]*)"(.*)$/.exec(line);
    if (call !== null) {
      const [, pid, raw, rest] = call as unknown as [string, string, string, string];
      if (rest.endsWith('<unfinished ...>')) pending.set(pid, raw);
      else {
        const result = /\)\s+=\s+(-?\d+)/.exec(rest);
        if (result !== null) take(raw, Number(result[1]));
      }
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>.*\)\s+=\s+(-?\d+)/.exec(line);
    if (resumed !== null) {
      const raw = pending.get(resumed[1] as string);
      pending.delete(resumed[1] as string);
      if (raw !== undefined) take(raw, Number(resumed[2]));
    }
  }
  return [...outside].sort();
}

/** Runs `vigil ARGS` in the clone under strace; what it read outside the clone. */
function readsOutside(args: readonly string[]): { code: number | null; outside: string[] } {
  const trace = join(parent, `trace-${args[0]}.txt`);
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=%file', '-o', trace, process.execPath, 'bin/vigil.js', ...args], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, outside: outsideReads(readFileSync(trace, 'utf8'), clone) };
}

describe('reading an strace log', () => {
  it('finds successful accesses outside the clone, and only those', () => {
    const c = '/tmp/vigil-clone-x/vigil';
    const log = [
      `1 openat(AT_FDCWD, "${c}/dist/src/cli/main.js", O_RDONLY|O_CLOEXEC) = 21`,
      `1 statx(AT_FDCWD, "/tmp/node_modules", AT_STATX_SYNC_AS_STAT, STATX_ALL, 0x7ffc) = -1 ENOENT (No such file or directory)`,
      `1 openat(AT_FDCWD, "/home/someone/shared/language.md", O_RDONLY|O_CLOEXEC) = 22`,
      `1 openat(AT_FDCWD, "patterns/passes.pattern", O_RDONLY) = 23`,
      `1 openat(AT_FDCWD, "../elsewhere.json", O_RDONLY) = 24`,
      `2 openat(AT_FDCWD, "/opt/data/x.ndjson", O_RDONLY <unfinished ...>`,
      `1 lstat("/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}) = 0`,
      `2 <... openat resumed>) = 25`,
      `1 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3`,
      `1 execve("${process.execPath}", ["node"], 0x7ffc /* 20 vars */) = 0`,
    ].join('\n');
    expect(outsideReads(log, c)).toEqual(['/home/someone/shared/language.md', '/opt/data/x.ndjson', '/tmp/vigil-clone-x/elsewhere.json']);
  });
});

describe('from a clean clone', () => {
  it('npm install builds, npx vigil --version and npx vigil check work, and nothing is read outside the clone', { timeout: 600_000 }, () => {
    execFileSync('git', ['clone', '--quiet', root, clone], { env });
    const install = run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], 480_000);
    expect(install.status, `npm install failed:\n${install.stdout}\n${install.stderr}`).toBe(0);

    const v = run(npx, ['--no-install', 'vigil', '--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toBe(`vigil ${version}\n`);

    const check = run(npx, ['--no-install', 'vigil', 'check']);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/^ok: \d+ pattern file\(s\)/);

    if (!hasStrace) return;
    for (const args of [['check'], ['run', '--input', 'fixtures/sample-traffic.ndjson', '--format', 'ndjson', '--out', join(clone, 'alerts.ndjson')]]) {
      const r = readsOutside(args);
      expect(r.code, `vigil ${args.join(' ')}`).toBe(0);
      expect(r.outside, `vigil ${args[0]} read outside the clone`).toEqual([]);
    }
  });

  it('no tracked file names a path outside the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(ts|js|json|md|pattern|yaml|yml|ne|sh)$|^\.ci\//.test(f));
    const leaving = /(\.\.\/shared\b|\/work\/|\/home\/[a-z]|\/root\/|\/Users\/[A-Za-z])/;
    const found: string[] = [];
    for (const f of files) {
      if (f === 'test/install/clone.test.ts') continue;
      const text = readFileSync(join(root, f), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (leaving.test(line)) found.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(found).toEqual([]);
  });
});
