/** Where a command writes: NDJSON and results on stdout, human messages on stderr. Injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdout is a terminal: a person reads it (tables); otherwise a program does (NDJSON). */
  readonly stdoutIsTerminal?: boolean;
  /** stderr is a terminal: progress lines may be redrawn in place; never in pipes or logs. */
  readonly stderrIsTerminal?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  stdoutIsTerminal: process.stdout.isTTY === true,
  stderrIsTerminal: process.stderr.isTTY === true,
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
