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

/** A flag's value as a positive finite number (an integer when `integer`), or a UserError naming the flag. */
export function positiveNumber(flag: string, text: string, integer = false): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new UserError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
  return n;
}
