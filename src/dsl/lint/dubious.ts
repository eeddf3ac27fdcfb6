/**
 * Patterns Flink accepts but whose author probably meant something else: accepted, with a warning.
 * - `first(v.f)`, `sum(v.f)`, ... of a variable that matches at most one event is just `v.f`;
 *   `count(v)` of a variable that matches exactly one event is always 1.
 * - a pattern whose terms are all optional (`start+?`): it matches as if they were not (a match needs an event).
 */
import { type Expr, forEachChild } from '../ast.js';
import type { CheckedPattern, CheckedProgram } from '../checked.js';
import type { Warning } from './warning.js';

export function lintDubious(p: CheckedPattern, checked: CheckedProgram, out: Warning[]): void {
  const decl = p.decl;
  const variables = new Map(p.variables.map((v) => [v.name, v]));
  const roots: Expr[] = [...decl.defines.map((d) => d.cond)];
  for (const s of decl.match) for (const m of s.term.modifiers) if (m.kind === 'until') roots.push(m.cond);
  if (decl.emit !== null) roots.push(decl.emit);
  if (decl.onTimeout !== null) roots.push(decl.onTimeout);
  const stack = roots;
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    forEachChild(e, (c) => {
      stack.push(c);
      return undefined;
    });
    if (e.kind !== 'aggregate') continue;
    const binding = checked.aggregates.get(e);
    if (binding?.kind !== 'variable') continue;
    const v = variables.get(binding.variable);
    if (v === undefined) continue;
    if (binding.field === null) {
      if (!v.repeating && !v.optional) {
        out.push(warn('aggregate-of-one-event', e.pos, `count(${v.name}) is always 1: '${v.name}' matches exactly one event`));
      }
    } else if (!v.repeating) {
      out.push(
        warn('aggregate-of-one-event', e.pos, `${e.fn}(${v.name}.${binding.field}) is ${v.name}.${binding.field}: '${v.name}' matches at most one event`),
      );
    }
  }
  const terms = p.variables.filter((v) => !v.negated);
  const first = decl.match[0];
  if (first !== undefined && terms.length > 0 && terms.every((v) => v.optional)) {
    out.push(
      warn(
        'only-optional-terms',
        first.term.pos,
        'every term of this pattern is optional; a match still needs one event, so it matches as if the first term that takes an event were mandatory',
      ),
    );
  }
}

function warn(code: Warning['code'], pos: Expr['pos'], message: string): Warning {
  return { code, severity: 'warning', file: pos.file, line: pos.line, col: pos.col, message };
}
