import { type CliIo, type Command, ExitCode, UserError, processIo } from './io.js';

/** Subcommands are loaded lazily so `vigil check` does not pay for what `vigil serve` needs. */
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).run,
};

const usage = `usage: vigil <command> [options]

commands:
  run --input <file.ndjson|->   run a bounded input to the end in embedded mode
`;

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
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
      io.stderr(`vigil ${name}: ${error.message}\n`);
      return ExitCode.userError;
    }
    io.stderr(`vigil ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.internalError;
  }
}
