/** Where a command writes: NDJSON and results on stdout, human messages on stderr. Injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
};

/** Exit codes are part of the CLI contract. */
export const ExitCode = {
  ok: 0,
  userError: 1,
  internalError: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export { UserError } from '../app/errors.js';

export type Command = (args: readonly string[], io: CliIo) => Promise<ExitCode>;
