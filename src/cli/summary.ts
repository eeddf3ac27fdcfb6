import type { EmbeddedSummary } from '../app/index.js';
import { DEFAULT_MAX_KEPT_EVENTS, DEFAULT_MAX_STATE_ENTRIES } from '../cep/index.js';
import { UserError } from './io.js';

/** The one line a run prints on stderr: what went in, what came out, how fast. `late` counts records, not refusals. */
export function summaryLine(s: EmbeddedSummary, what: string): string {
  const rate = s.seconds > 0 ? thousands(Math.round(s.records / s.seconds)) : '-';
  const notes = s.notes === undefined || s.notes.length === 0 ? '' : `; kept with notes: ${s.notes.map(([note, n]) => `${thousands(n)} ${note}`).join(', ')}`;
  return `${thousands(s.records)} records (${s.deadLetters} dead letters, ${s.late} late${notes}) -> ${thousands(s.outputs)} ${what} in ${s.seconds.toFixed(2)} s (${rate} records/s)\n`;
}

/** Where a run wrote its dead letters and late records, if anywhere: the report says where to look. */
export interface SideOutputs {
  readonly deadLetter?: string;
  readonly late?: string;
  /** The command has --dead-letter and --late flags to point at (vigil match has not). */
  readonly hasFlags?: boolean;
}

/**
 * What a run refused, on stderr, printed whether or not the refused records were written anywhere: dead letters by
 * reason, and late records apart from their refusals (one record can be late for several operators).
 */
export function refusalLines(s: EmbeddedSummary, command: string, files: SideOutputs): string {
  let text = '';
  if (s.deadLetters > 0) {
    const share = s.records > 0 ? ` of ${thousands(s.records)} records (${percent(s.deadLetters / s.records)})` : '';
    const where =
      files.deadLetter !== undefined ? `; written to ${files.deadLetter}` : files.hasFlags === true ? '; --dead-letter FILE keeps them with their reasons' : '';
    text += `${command}: dead letters: ${thousands(s.deadLetters)}${share}: ${byCount(s.deadLetterReasons)}${where}\n`;
  }
  if (s.late > 0) {
    const refusals = [...s.lateByOperator.values()].reduce((a, b) => a + b, 0);
    const ops = s.lateByOperator.size;
    const where = files.late !== undefined ? `; written to ${files.late}` : files.hasFlags === true ? '; --late FILE keeps them' : '';
    text +=
      `${command}: late: ${thousands(s.late)} record${s.late === 1 ? '' : 's'}, refused ${thousands(refusals)} time${refusals === 1 ? '' : 's'} ` +
      `by ${ops} operator${ops === 1 ? '' : 's'} (${byCount(s.lateByOperator)})${where}\n`;
  }
  if (s.budgetDropped !== undefined && s.budgetDropped.size > 0) {
    const total = [...s.budgetDropped.values()].reduce((a, b) => a + b, 0);
    text +=
      `${command}: state budget: ${thousands(total)} partial match${total === 1 ? '' : 'es'} dropped, the oldest first, by ` +
      `${byCount(s.budgetDropped)}: those patterns held more partial matches and events than --cep-state-budget allows ` +
      `(default ${thousands(DEFAULT_MAX_STATE_ENTRIES)}), so matches they would have made are missing\n`;
  }
  if (s.keptDropped !== undefined && s.keptDropped.size > 0) {
    const total = [...s.keptDropped.values()].reduce((a, b) => a + b, 0);
    text +=
      `${command}: kept-events budget: ${thousands(total)} kept event${total === 1 ? '' : 's'} dropped, the oldest first, by ` +
      `${byCount(s.keptDropped)}: those patterns' allowed lateness kept more events than --cep-kept-budget allows ` +
      `(default ${thousands(DEFAULT_MAX_KEPT_EVENTS)}), so late records could not be matched with the dropped ones\n`;
  }
  return text;
}

/** The default --max-dead-letters: beyond half the records, the input is not what the rules read (wrong file, format). */
export const DEFAULT_MAX_DEAD_LETTERS = 0.5;

/** Parses --max-dead-letters: a share between 0 and 1, or a percentage (`10%`). */
export function parseShare(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const v = m === null ? Number.NaN : Number(m[1]) / (m[2] === '%' ? 100 : 1);
  if (!(v >= 0 && v <= 1)) throw new UserError(`${flag} must be a share between 0 and 1 (or a percentage such as 10%), got '${text}'`);
  return v;
}

/** A run whose dead letters exceed the allowed share fails (exit 1): its outputs describe a fraction of the input. */
export function deadLetterVerdict(s: EmbeddedSummary, max: number, command: string): string | null {
  if (s.records === 0 || s.deadLetters / s.records <= max) return null;
  return `${command}: ${percent(s.deadLetters / s.records)} of the records are dead letters, more than --max-dead-letters ${percent(max)} allows: check the input's format and the checkpoint registry\n`;
}

function byCount(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${thousands(n)}`)
    .join(', ');
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 2 : 1)}%`;
}

/** 1234567 -> "1,234,567", as toLocaleString('en') for integers, without loading ICU data (tens of ms at exit). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
