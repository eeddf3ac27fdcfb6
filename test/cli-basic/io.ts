import type { CliIo } from '../../src/cli/io.js';

/** A CliIo that captures what a command prints. */
export function captureIo(cwd: string = process.cwd()): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    cwd,
    env: {},
    out: () => out,
    err: () => err,
  };
}
