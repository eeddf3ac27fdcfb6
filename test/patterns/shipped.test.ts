/**
 * The shipped rules' own tests (test/patterns/*.test.yaml), run through `vigil test` in-process so CI runs them.
 * Each YAML test is one vitest case, so a failure names it and shows the harness's diff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const here = new URL('.', import.meta.url).pathname;
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.yaml'))
  .sort();

function capture(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', cwd: process.cwd(), env: {}, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

/** Test names as written in a file (`- name: ...` lines), to give each its own vitest case. */
function testNames(file: string): string[] {
  return [...readFileSync(join(here, file), 'utf8').matchAll(/^ {2}- name: (.+)$/gm)].map((m) => (m[1] as string).trim());
}

/**
 * Tests that assert the right behaviour of a shipped rule that currently behaves otherwise (see the file's header
 * and the report to the lead). They run as expected failures: when the behaviour is fixed, vitest reports them as
 * unexpectedly passing, and they move back to the ordinary list by deleting them here.
 */
const KNOWN_WRONG = new Set<string>([]);

describe.each(files)('%s', (file) => {
  it.each(testNames(file))('%s', async (name) => {
    if (KNOWN_WRONG.has(`${file} › ${name}`)) return expectFailure(file, name);
    const io = capture();
    const code = await main(['test', join(here, file), '--filter', name, '--json'], io);
    const results = io.out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { test: string; status: string });
    // --filter matches substrings: exactly this test must have run and passed.
    const mine = results.filter((r) => r.test === name);
    expect(mine, io.err).toHaveLength(1);
    expect(mine[0]?.status, io.err).toBe('passed');
    expect(code, io.err).toBe(0);
  });
});

/** Runs a known-wrong test and asserts it still fails with a diff (not a setup error or a crash). */
async function expectFailure(file: string, name: string): Promise<void> {
  const io = capture();
  const code = await main(['test', join(here, file), '--filter', name, '--json'], io);
  const results = io.out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { test: string; status: string });
  const mine = results.filter((r) => r.test === name);
  expect(mine, io.err).toHaveLength(1);
  expect(mine[0]?.status, `${name} now passes: remove it from KNOWN_WRONG\n${io.err}`).toBe('failed');
  expect(code).toBe(1);
}

it('every shipped rule has tests', () => {
  const rules = readdirSync(new URL('../../rules/', import.meta.url)).filter((f) => f.endsWith('.yaml'));
  const tested = files.flatMap((f) => [...readFileSync(join(here, f), 'utf8').matchAll(/^rule: (\S+)$/gm)].map((m) => m[1]));
  for (const r of rules) expect(tested, `no test file for rules/${r}`).toContain(r.replace(/\.yaml$/, ''));
});
