import { UserError } from './io.js';

/** Runs a command's flag parser; a bad flag is the user's error, reported with the command's usage text. */
export function withUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n${usage}`);
  }
}

/** Every command takes -h/--help. */
export const HELP = { help: { type: 'boolean', short: 'h' } } as const;
