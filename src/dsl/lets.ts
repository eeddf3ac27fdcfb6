/**
 * `let` in a pattern: named expressions, expanded in place before the checker types the pattern, so each use is
 * checked and compiled exactly as if its body had been written there (a `let` is a macro with hygiene for its
 * parameters: a body sees its own parameters, the lets above it, and the pattern's names at the place of use).
 *
 * A parameter used as `x.f` in a body stands for a pattern variable: `let impossible(x, y) = ... x.ts ...`
 * is used as `impossible(a, b)`. Any other parameter stands for an expression.
 */
import { type Expr, type LetDef, mapChildren, type Name, type PatternDecl } from './ast.js';
import { type DslError, errorAt } from './errors.js';
import { tooDeep, tooDeepMessage } from './limits.js';

interface Expanded {
  readonly def: LetDef;
  /** The body with the lets above it expanded; its free names are its parameters and the pattern's names. */
  readonly body: Expr;
}

/** Names a `let` may not take: they are parsed as other nodes (`if`, `coalesce`, aggregates) or are functions. */
const SPECIAL = new Set(['if', 'coalesce', 'count', 'sum', 'avg', 'stddev', 'min', 'max', 'first', 'last', 'top']);

/**
 * The pattern with every use of its lets replaced by the let's body (and `lets` emptied), plus the errors found.
 * `isFunction` tells the registered function names, which a let may not shadow.
 */
export function expandLets(
  decl: PatternDecl,
  isFunction: (name: string) => boolean,
  errors: DslError[],
  /** Receives the nodes left in place of a wrong use, which the checker then skips (no follow-up errors). */
  silenced: Set<Expr>,
): PatternDecl {
  if (decl.lets.length === 0) return decl;
  const lets = new Map<string, Expanded>();
  const later = new Map(decl.lets.map((d) => [d.name.name, d]));
  const paramNames = new Set(decl.params.map((p) => p.name.name));
  const variables = new Set(decl.match.map((s) => s.term.variable.name));
  for (const def of decl.lets) {
    const n = def.name.name;
    const previous = lets.get(n);
    if (previous !== undefined) errors.push(errorAt(def.name.pos, `'${n}' is already defined by the let at line ${previous.def.pos.line}`));
    else if (SPECIAL.has(n) || isFunction(n)) errors.push(errorAt(def.name.pos, `a let cannot be called '${n}': that is a built-in name`));
    else if (paramNames.has(n)) errors.push(errorAt(def.name.pos, `a let cannot be called '${n}': that is a parameter of the pattern`));
    else if (variables.has(n)) errors.push(errorAt(def.name.pos, `a let cannot be called '${n}': that is a pattern variable`));
    const seen = new Set<string>();
    for (const p of def.params ?? []) {
      if (seen.has(p.name)) errors.push(errorAt(p.pos, `duplicate parameter '${p.name}' of let '${n}'`));
      seen.add(p.name);
    }
    // The body is expanded with the lets above only: a let cannot call itself or one defined below it.
    const body = new Expander(lets, later, errors, silenced, def).expand(def.body, new Set(def.params?.map((p) => p.name) ?? []));
    later.delete(n);
    if (previous === undefined) lets.set(n, { def, body });
  }
  const ex = new Expander(lets, new Map(), errors, silenced, null);
  const e = (x: Expr): Expr => {
    const expanded = ex.expand(x, new Set());
    // Each body is within the limit, but a use nests one inside another.
    const deep = tooDeep(expanded);
    if (deep !== null) {
      errors.push(errorAt(deep.pos, `${tooDeepMessage(deep)}, once its lets are expanded`));
      silenced.add(expanded);
    }
    return expanded;
  };
  return {
    ...decl,
    lets: [],
    keyBy: decl.keyBy.map(e),
    defines: decl.defines.map((d) => ({ ...d, cond: e(d.cond) })),
    match: decl.match.map((s) => ({
      ...s,
      term: { ...s.term, modifiers: s.term.modifiers.map((m) => (m.kind === 'until' ? { ...m, cond: e(m.cond) } : m)) },
    })),
    within: decl.within === null ? null : e(decl.within),
    emit: decl.emit === null ? null : (e(decl.emit) as typeof decl.emit),
    onTimeout: decl.onTimeout === null ? null : (e(decl.onTimeout) as typeof decl.onTimeout),
  };
}

class Expander {
  constructor(
    private readonly lets: ReadonlyMap<string, Expanded>,
    /** Lets defined below the one being expanded (or itself): named in a message, never expanded. */
    private readonly later: ReadonlyMap<string, LetDef>,
    private readonly errors: DslError[],
    private readonly silenced: Set<Expr>,
    /** The let whose body is being expanded, if any. */
    private readonly self: LetDef | null,
  ) {}

  private fail(e: Expr, message: string): Expr {
    this.errors.push(errorAt(e.pos, message));
    this.silenced.add(e);
    return e;
  }

  /** Expands uses of lets in `e`; `bound` are the parameters of the let whose body this is (never expanded). */
  expand(e: Expr, bound: ReadonlySet<string>): Expr {
    if (e.kind === 'field' && !bound.has(e.name)) {
      const used = this.lets.get(e.name);
      if (used !== undefined) {
        if (used.def.params !== null) return this.fail(e, `'${e.name}' takes ${plural(used.def.params.length)}: call it as ${e.name}(...)`);
        return substitute(used.body, new Map(), new Map(), this.errors, this.silenced, e.name);
      }
      return this.laterUse(e, e.name) ?? e;
    }
    if (e.kind === 'call' && !bound.has(e.callee.name)) {
      const args = e.args.map((a) => this.expand(a, bound));
      const used = this.lets.get(e.callee.name);
      if (used === undefined) return this.laterUse({ ...e, args }, e.callee.name) ?? { ...e, args };
      const params = used.def.params ?? [];
      if (args.length !== params.length) return this.fail({ ...e, args }, `'${e.callee.name}' takes ${plural(params.length)}, got ${args.length}`);
      const values = new Map(params.map((p, i) => [p.name, args[i] as Expr]));
      const variables = new Map<string, Name | null>();
      for (const [p, arg] of values) variables.set(p, arg.kind === 'field' ? { kind: 'name', name: arg.name, pos: arg.pos } : null);
      return substitute(used.body, values, variables, this.errors, this.silenced, e.callee.name);
    }
    return mapChildren(e, (child) => this.expand(child, bound));
  }

  /** A use of the let being defined or of one below it: an error, and the node silenced; else undefined. */
  private laterUse(e: Expr, n: string): Expr | undefined {
    const def = this.later.get(n);
    if (def === undefined) return undefined;
    if (def === this.self) return this.fail(e, `'${n}' cannot use itself: a let is expanded in place, so it cannot recurse`);
    return this.fail(e, `'${n}' is the let at line ${def.pos.line}; a let may use only the lets above it`);
  }
}

/**
 * A fresh copy of `body` with each parameter replaced by its argument (`x` by the expression, `x.f` by `v.f`
 * when the argument is the variable `v`). Copies keep the body's positions, so errors point into the let.
 */
function substitute(
  body: Expr,
  values: ReadonlyMap<string, Expr>,
  variables: ReadonlyMap<string, Name | null>,
  errors: DslError[],
  silenced: Set<Expr>,
  letName: string,
): Expr {
  const reported = new Set<string>();
  // A copy of a silenced node stays silenced: its error was reported once, where it is written.
  const keep = (from: Expr, to: Expr): Expr => {
    if (silenced.has(from)) silenced.add(to);
    return to;
  };
  const clone = (e: Expr): Expr => keep(e, mapChildren(e, clone));
  const copy = (e: Expr): Expr => keep(e, copyNode(e));
  const copyNode = (e: Expr): Expr => {
    if (e.kind === 'field') {
      const arg = values.get(e.name);
      // A deep copy: the checker's tables are keyed by node, and each use of an argument is its own node.
      return arg === undefined ? { ...e } : clone(arg);
    }
    if (e.kind === 'member' && values.has(e.variable.name)) {
      const v = variables.get(e.variable.name) ?? null;
      if (v === null) {
        const arg = values.get(e.variable.name) as Expr;
        if (!reported.has(e.variable.name)) {
          reported.add(e.variable.name);
          errors.push(
            errorAt(
              arg.pos,
              `'${letName}' uses its parameter '${e.variable.name}' as a pattern variable ` +
                `(${e.variable.name}.${e.field}), so it needs a variable here, not an expression`,
            ),
          );
        }
        const left: Expr = { ...e };
        silenced.add(left);
        return left;
      }
      return { ...e, variable: v };
    }
    return mapChildren(e, copy);
  };
  return copy(body);
}

function plural(n: number): string {
  return `${n} argument${n === 1 ? '' : 's'}`;
}
