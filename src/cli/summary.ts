import type { EmbeddedSummary } from '../app/index.js';

/** The one line a run prints on stderr: what went in, what came out, how fast. */
export function summaryLine(s: EmbeddedSummary, what: string): string {
  const rate = s.seconds > 0 ? thousands(Math.round(s.records / s.seconds)) : '-';
  const notes = s.notes === undefined || s.notes.length === 0 ? '' : `; kept with notes: ${s.notes.map(([note, n]) => `${thousands(n)} ${note}`).join(', ')}`;
  return `${thousands(s.records)} records (${s.deadLetters} dead letters, ${s.late} late${notes}) -> ${thousands(s.outputs)} ${what} in ${s.seconds.toFixed(2)} s (${rate} records/s)\n`;
}

/** 1234567 -> "1,234,567", as toLocaleString('en') for integers, without loading ICU data (tens of ms at exit). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
