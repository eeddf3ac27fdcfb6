import { statSync } from 'node:fs';
import type { CliIo } from './io.js';
import { thousands } from './summary.js';

/** How often the progress line is redrawn, and how long a run goes before it gets one (short runs get none). */
const EVERY_MS = 250;
const AFTER_MS = 1000;

export interface Progress {
  /** After each batch: records read so far and bytes of the input read (null for stdin). */
  readonly update: (p: { readonly records: number; readonly bytes: number | null }) => void;
  /** Clears the line, before the run's own messages. */
  readonly done: () => void;
}

/**
 * A progress line on stderr, redrawn in place, for long runs watched at a terminal. Undefined when stderr is not a
 * terminal: a pipe or a log file gets no progress lines at all.
 */
export function terminalProgress(io: CliIo, label: string, input: string): Progress | undefined {
  if (io.stderrIsTerminal !== true) return undefined;
  let total: number | null = null;
  try {
    total = input === '-' ? null : statSync(input).size;
  } catch {
    total = null;
  }
  const started = Date.now();
  let last = started + AFTER_MS - EVERY_MS;
  let drawn = false;
  return {
    update: ({ records, bytes }) => {
      const now = Date.now();
      if (now - last < EVERY_MS) return;
      last = now;
      const seconds = (now - started) / 1000;
      const share = total !== null && total > 0 && bytes !== null ? `, ${Math.min(100, Math.floor((bytes / total) * 100))}% of the input` : '';
      const rate = seconds > 0 ? `, ${thousands(Math.round(records / seconds))} records/s` : '';
      io.stderr(`\r\x1b[K${label}: ${thousands(records)} records${share}${rate}`);
      drawn = true;
    },
    done: () => {
      if (drawn) io.stderr('\r\x1b[K');
    },
  };
}
