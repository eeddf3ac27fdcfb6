import { DEFAULT_MAX_KEPT_EVENTS, DEFAULT_MAX_PARTIAL_MATCHES_PER_KEY, DEFAULT_MAX_STATE_ENTRIES } from '../cep/index.js';
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

/** The usage paragraph of --cep-state-budget (vigil run, match and serve). */
export const CEP_STATE_BUDGET_HELP = `--cep-state-budget N (env VIGIL_CEP_STATE_BUDGET): each pattern's budget of partial matches plus the events
they hold, over all keys (default ${DEFAULT_MAX_STATE_ENTRIES.toLocaleString('en-US')}). Beyond it the oldest partial matches of all keys are dropped
(as the per-key cap of ${DEFAULT_MAX_PARTIAL_MATCHES_PER_KEY.toLocaleString('en-US')} drops a key's oldest), with a warning naming the pattern and a count in the summary.`;

/** The usage paragraph of --cep-kept-budget (vigil run, match and serve). */
export const CEP_KEPT_BUDGET_HELP = `--cep-kept-budget N (env VIGIL_CEP_KEPT_BUDGET): each pattern with \`allowed lateness\` keeps the events that
entered it for the lateness plus \`within\`, to match late events with (a \`prev()\` stream with \`allowed lateness\`
keeps its records likewise, to slot late ones in): at most N of them over all keys (default
${DEFAULT_MAX_KEPT_EVENTS.toLocaleString('en-US')}, about 300 bytes each with the record). Beyond it the oldest are dropped, with a warning naming the pattern
and a count in the summary: the lateness covered is then about N / records per second. Size it as records per second x
(lateness + within) to keep the whole lateness.`;

/** --cep-state-budget as a job option (nothing when not given: the CEP default applies). */
export function cepStateBudget(text: string | undefined): { maxCepStateEntries?: number } {
  return text === undefined ? {} : { maxCepStateEntries: positiveNumber('cep-state-budget', text, true) };
}

/** --cep-kept-budget as a job option (nothing when not given: the CEP default applies). */
export function cepKeptBudget(text: string | undefined): { maxCepKeptEvents?: number } {
  return text === undefined ? {} : { maxCepKeptEvents: positiveNumber('cep-kept-budget', text, true) };
}
