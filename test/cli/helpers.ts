import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { copyPatterns } from '../../src/app/copy-patterns.js';
import { defaultPaths, packageRoot } from '../../src/app/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface CapturedIo extends CliIo {
  out: string;
  err: string;
}

/** An io that keeps stdout and stderr in memory, for running commands in-process. */
export function captureIo(cwd = process.cwd()): CapturedIo {
  const io: CapturedIo = {
    out: '',
    err: '',
    cwd,
    env: {},
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  };
  return io;
}

/** Runs `vigil <args>` in-process. */
export async function vigil(args: readonly string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(cwd);
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

/** A fresh temp dir with the given files written into it. */
export function tempDir(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/**
 * The shipped pattern files (all but `except`) copied into `root/patterns`, with every table file they read
 * (`table t = file "../fixtures/x.json"`) at the same place relative to them: the copies load as the shipped files
 * do, and nothing is written outside `root`. Returns the patterns folder.
 */
export function copyShippedPatterns(root: string = tempDir(), except: readonly string[] = []): string {
  return copyPatterns({ from: defaultPaths.patterns, root: packageRoot, toRoot: root, except });
}
