/**
 * Stream checks. Windowed streams always expire their state (a window is dropped at its end plus the allowed
 * lateness, a session after its gap), so a keyed stream is never flagged for its key space alone; what is
 * flagged is an expiry so far away that it is no expiry in practice: a session gap or an allowed lateness
 * above one day. A lookup that keeps state by design (its signature's `note`, e.g. `first_seen` keeps every key
 * in Redis forever by contract, DSL.md Lookups) gets an info note at each use.
 */
import type * as A from '../ast.js';
import type { CheckedStream } from '../checked.js';
import { constantValue } from '../constants.js';
import { printExpr } from '../print.js';
import { MAX_ALLOWED_LATENESS_MS, MAX_SESSION_GAP_MS } from './limits.js';
import type { Warning } from './warning.js';

const NO_PARAMS = new Map<string, never>();

export function lintStream(s: CheckedStream, out: Warning[]): void {
  const decl = s.decl;
  const w = decl.window;
  if (w?.kind === 'session') {
    const gap = constantValue(w.gap, NO_PARAMS);
    if (gap !== null && gap > MAX_SESSION_GAP_MS) {
      const text = printExpr(w.gap);
      out.push(
        at(
          'long-session-gap',
          'warning',
          w.gap.pos,
          `session gap ${text} keeps a key's window open until the key has been quiet for ${text}, so a busy key never releases it; use a gap of at most 1d or a tumbling window`,
        ),
      );
    }
  }
  if (decl.allowedLateness !== null) {
    const lateness = constantValue(decl.allowedLateness, NO_PARAMS);
    if (lateness !== null && lateness > MAX_ALLOWED_LATENESS_MS) {
      const text = printExpr(decl.allowedLateness);
      out.push(
        at(
          'long-allowed-lateness',
          'warning',
          decl.allowedLateness.pos,
          `allowed lateness ${text} keeps every window's state for ${text} after it fires; keep it at 1d or less and send later records to a \`late into\` stream`,
        ),
      );
    }
  }
  for (const e of decl.enrich) {
    const note = s.lookups.get(e)?.note;
    if (note !== undefined) out.push(at('lookup-keeps-state', 'info', e.call.pos, note));
  }
}

function at(code: Warning['code'], severity: Warning['severity'], pos: A.Pos, message: string): Warning {
  return { code, severity, file: pos.file, line: pos.line, col: pos.col, message };
}
