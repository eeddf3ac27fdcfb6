/**
 * Pattern checks. Without `within` nothing ever expires a partial match (Flink prunes partial matches only by
 * `within`), so:
 * - `followed by any`: every matching event forks a new partial match, per key, forever;
 * - a loop (`+`, `*`, `{n,}`): a partial match may collect events without bound;
 * - `followed by`: every event that matches the term before it starts a partial match that waits, per key,
 *   until its next term matches, possibly never;
 * - otherwise (only `next`, counted loops): each key holds a bounded number of partial matches, but when the
 *   key space is unbounded (keyed by plate) a key that is never seen again keeps its partial match forever.
 *   This one is reported only when none of the above was, so one missing `within` is not reported twice.
 */
import type * as A from '../ast.js';
import type { CheckedPattern } from '../checked.js';
import { printExpr } from '../print.js';
import type { KeyBounds } from './bounded-keys.js';
import type { Warning } from './warning.js';

export function lintPattern(p: CheckedPattern, keys: KeyBounds, out: Warning[]): void {
  const decl = p.decl;
  if (decl.within !== null) return;
  const before = out.length;
  for (const step of decl.match) {
    const c = step.connector;
    if (c?.kind === 'followed-by-any') {
      out.push(
        warning(
          'followed-by-any-without-within',
          c.pos,
          '`followed by any` without `within` keeps every partial match forever and forks a new one for each matching event of the key; add `within <duration>` to the pattern',
        ),
      );
    } else if (c?.kind === 'followed-by') {
      out.push(
        warning(
          'followed-by-without-within',
          c.pos,
          '`followed by` without `within` keeps a partial match per key until its next term matches, which may be never; add `within <duration>` to the pattern',
        ),
      );
    }
    const loop = loopText(step.term);
    if (loop !== null) {
      out.push(
        warning(
          'loop-without-within',
          step.term.pos,
          `loop \`${loop}\` without \`within\` can collect events into a partial match without bound; add \`within <duration>\` to the pattern`,
        ),
      );
    }
  }
  if (out.length > before || decl.keyBy.length === 0 || !keepsState(decl)) return;
  if (decl.keyBy.every((k) => keys.bounded(k, decl.from.name))) return;
  const key = decl.keyBy.map((k) => printExpr(k)).join(', ');
  const first = decl.keyBy[0] as A.Expr;
  out.push(
    warning(
      'unbounded-key-without-within',
      first.pos,
      `\`key by ${key}\` has unbounded values and the pattern has no \`within\`, so a key that starts a partial match and is never seen again keeps it forever; add \`within <duration>\` to the pattern`,
    ),
  );
}

/** A single term that is not a loop completes on its first event: nothing waits. */
function keepsState(decl: A.PatternDecl): boolean {
  if (decl.match.length > 1) return true;
  const q = decl.match[0]?.term.quantifier;
  return q !== undefined && q !== null && q.kind !== 'optional';
}

/** `v+`, `v*` or `v{n,}` as written, or null for a term that is not an unbounded loop. */
function loopText(term: A.Term): string | null {
  const q = term.quantifier;
  if (q === null) return null;
  const v = term.variable.name;
  switch (q.kind) {
    case 'one-or-more':
      return `${v}+`;
    case 'zero-or-more':
      return `${v}*`;
    case 'times':
      return q.max === null ? `${v}{${q.min},}` : null;
    case 'optional':
      return null;
  }
}

function warning(code: Warning['code'], pos: A.Pos, message: string): Warning {
  return { code, severity: 'warning', file: pos.file, line: pos.line, col: pos.col, message };
}
