/**
 * Is a key's value space bounded? A key is bounded when every value it can take comes from a finite set:
 * literals and parameters, booleans, fields a source's schema declares finite (the traffic schema's checkpoint,
 * lane, plate colour; the caller may add more), and functions or operators applied only to bounded inputs (`segment_of(checkpoint)`). A field of a
 * stream is traced back through `select` aliases, `select *`, `where` and `late into` to the source.
 * Anything else (a plate, a timestamp, an aggregate, a lookup result that is not boolean) is unbounded.
 */
import type * as A from '../ast.js';
import { selectItemName } from '../ast.js';
import type { CheckedProgram } from '../checked.js';

export class KeyBounds {
  /** Guards against a cycle through late streams (a stream reading its own late output). */
  private readonly visiting = new Set<string>();

  constructor(
    private readonly program: CheckedProgram,
    private readonly boundedFields: ReadonlySet<string>,
  ) {}

  /** `expr` evaluated over records of the source or stream `from`. */
  bounded(expr: A.Expr, from: string): boolean {
    if (this.program.types.get(expr) === 'boolean') return true;
    switch (expr.kind) {
      case 'number':
      case 'string':
      case 'boolean':
      case 'null':
      case 'duration':
        return true;
      case 'field': {
        const b = this.program.bindings.get(expr);
        if (b?.kind === 'param') return true;
        return this.boundedField(from, expr.name);
      }
      case 'member':
        return this.boundedField(from, expr.field);
      case 'unary':
        return this.bounded(expr.operand, from);
      case 'binary':
        return this.bounded(expr.left, from) && this.bounded(expr.right, from);
      case 'call':
      case 'coalesce':
        return expr.args.every((a) => this.bounded(a, from));
      case 'if':
        return this.bounded(expr.then, from) && this.bounded(expr.else, from);
      case 'in':
      case 'between':
        return true; // boolean
      case 'aggregate':
      case 'object':
        return false;
    }
  }

  private boundedField(from: string, field: string): boolean {
    const visit = `${from}\u0000${field}`;
    if (this.visiting.has(visit)) return false;
    this.visiting.add(visit);
    try {
      return this.resolveField(from, field);
    } finally {
      this.visiting.delete(visit);
    }
  }

  private resolveField(from: string, field: string): boolean {
    const source = this.program.sources.get(from);
    if (source !== undefined) return source.boundedFields.has(field) || this.boundedFields.has(field);
    const late = this.program.lateStreams.get(from);
    if (late !== undefined) return late.producers.every((p) => this.boundedField(p.from.name, field));
    const pattern = this.program.patterns.get(from);
    if (pattern !== undefined) {
      // A pattern read as a stream: its records are its emit payloads, computed from the events it read.
      const entry = pattern.decl.emit?.entries.find((e) => e.key === field);
      return entry !== undefined && this.bounded(entry.value, pattern.decl.from.name);
    }
    const stream = this.program.streams.get(from);
    if (stream === undefined) return false;
    if (stream.output.fields.get(field) === 'boolean') return true;
    const decl = stream.decl;
    const inputs = [decl.from, ...decl.union].map((n) => n.name);
    if (decl.enrich.some((e) => e.name.name === field)) return false;
    if (decl.select !== null) {
      const item = decl.select.items.find((it, i) => selectItemName(it, i) === field);
      if (item !== undefined) return inputs.every((input) => this.bounded(item.expr, input));
      // window_start, window_end and anything not selected.
      if (!decl.select.star || decl.window !== null) return false;
    }
    return inputs.every((input) => this.boundedField(input, field));
  }
}
