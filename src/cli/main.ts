import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../app/program.js';
import { type CliIo, type Command, ExitCode, processIo, UserError } from './io.js';

/** Subcommands are loaded lazily so `vigil check` does not pay for what `vigil serve` needs. */
const commands: Record<string, () => Promise<Command>> = {
  check: async () => (await import('./commands/check.js')).run,
  match: async () => (await import('./commands/match.js')).run,
  run: async () => (await import('./commands/run.js')).run,
  test: async () => (await import('./commands/test.js')).run,
  generate: async () => (await import('./commands/generate.js')).run,
  eval: async () => (await import('./commands/eval.js')).run,
  serve: async () => (await import('./commands/serve.js')).run,
  rerun: async () => (await import('./commands/rerun.js')).run,
  demo: async () => (await import('./commands/demo.js')).run,
  savepoint: async () => (await import('./commands/savepoint.js')).run,
  list: async () => (await import('./commands/list.js')).run,
  cancel: async () => (await import('./commands/cancel.js')).run,
  reload: async () => (await import('./commands/reload.js')).run,
};

/** The commands, in the order the usage lists them. */
export const commandNames: readonly string[] = Object.keys(commands);

const usage = `usage: vigil <command> [options]

commands:
  check [paths...]                              compile patterns and rules; errors as file:line:col
  match --pattern <file> --input <file.ndjson>  run one pattern file over an input, print matches
  run --input <file.ndjson|->                   run a bounded input through every enabled rule (embedded)
  test [paths...]                               run *.test.yaml rule and pattern tests on a virtual clock
  generate --minutes N --seed S [--anomalies]   synthetic traffic with ground truth
  eval [--scale F] [--seed S]                   detection quality of the rules on a generated day (gate 0.95)
  serve [--kafka host:port] [--redis URL]       the always-on service: Kafka in, alerts to each rule's routes
  rerun --day YYYY-MM-DD --input <day.ndjson>   the next-morning re-run: a day's final results replace the live ones
  demo [--pace 60] [--input F]                  the dashboard over a recording replayed in accelerated time (npm start)
  savepoint [--name N] [--url URL]              ask a running service for a savepoint (token: VIGIL_TOKEN)
  list [--url URL]                              a running service's savepoints, one JSON line each
  cancel [--url URL]                            stop a running service gracefully (drain, checkpoint, exit 0)
  reload [--url URL]                            a running service reads its rules again (hot reload, state kept)

Run 'vigil <command> --help' for a command's options; 'vigil --version' prints the version.
Exit codes: 0 ok, 1 the user's error (bad flag, file or rule), 2 an internal error.
`;

/** The package's version, as package.json says. */
export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A reader that stops reading (`vigil run | head`) closes the pipe: the rest of the output has nowhere to go, which
 * is how pipes end, not an error. Without this, the write fails later as an unhandled EPIPE with a stack trace.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(ExitCode.ok);
      throw error;
    });
  }
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<ExitCode> {
  if (io === processIo) quietOnClosedPipe();
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`vigil ${version()}\n`);
    return ExitCode.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const load = commands[name];
  if (load === undefined) {
    io.stderr(`vigil: unknown command '${name}'\n${usage}`);
    return ExitCode.userError;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr(error.plain ? `${error.message}\n` : `vigil ${name}: ${error.message}\n`);
      return ExitCode.userError;
    }
    io.stderr(`vigil ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.internalError;
  }
}
