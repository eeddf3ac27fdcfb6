/**
 * Prints an AST back as pattern-language source. Parsing the output gives the same AST up to positions;
 * parentheses are added only where precedence needs them.
 */
import type * as A from './ast.js';
import { RESERVED } from './lexer.js';

const reserved = new Set<string>(RESERVED);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Binding strength, loosest first; a sub-expression weaker than its slot is parenthesised.
const OR = 1;
const AND = 2;
const NOT = 3;
const COMPARE = 4;
const SUM = 5;
const PRODUCT = 6;
const UNARY = 7;
const PRIMARY = 8;

function precedence(e: A.Expr): number {
  switch (e.kind) {
    case 'binary':
      switch (e.op) {
        case 'or':
          return OR;
        case 'and':
          return AND;
        case '+':
        case '-':
          return SUM;
        case '*':
        case '/':
        case '%':
          return PRODUCT;
        default:
          return COMPARE;
      }
    case 'unary':
      return e.op === 'not' ? NOT : UNARY;
    case 'in':
    case 'between':
      return COMPARE;
    case 'number':
      return e.value < 0 || Object.is(e.value, -0) ? UNARY : PRIMARY;
    case 'duration':
      return e.amount < 0 || Object.is(e.amount, -0) ? UNARY : PRIMARY;
    default:
      return PRIMARY;
  }
}

export function printExpr(e: A.Expr, min = 0): string {
  const text = printBare(e);
  return precedence(e) < min ? `(${text})` : text;
}

function printNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

export function printString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\0':
        out += '\\0';
        break;
      default: {
        const code = ch.charCodeAt(0);
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return out + '"';
}

function list(items: readonly A.Expr[]): string {
  return items.map((x) => printExpr(x)).join(', ');
}

function printBare(e: A.Expr): string {
  switch (e.kind) {
    case 'number':
      return printNumber(e.value);
    case 'string':
      return printString(e.value);
    case 'boolean':
      return String(e.value);
    case 'null':
      return 'null';
    case 'duration':
      return `${printNumber(e.amount)}${e.unit}`;
    case 'field':
      return e.name;
    case 'member':
      return `${e.variable.name}.${e.field}`;
    case 'unary': {
      if (e.op === 'not') return `not ${printExpr(e.operand, NOT)}`;
      const operand = printExpr(e.operand, UNARY);
      // `--` would start a comment.
      return operand.startsWith('-') ? `- ${operand}` : `-${operand}`;
    }
    case 'binary': {
      const p = precedence(e);
      if (p === COMPARE) return `${printExpr(e.left, SUM)} ${e.op} ${printExpr(e.right, SUM)}`;
      return `${printExpr(e.left, p)} ${e.op} ${printExpr(e.right, p + 1)}`;
    }
    case 'in':
      return `${printExpr(e.value, SUM)} ${e.negated ? 'not in' : 'in'} [${list(e.items)}]`;
    case 'between':
      return `${printExpr(e.value, SUM)} ${e.negated ? 'not between' : 'between'} ${printExpr(e.low, SUM)} and ${printExpr(e.high, SUM)}`;
    case 'call':
      return `${e.callee.name}(${list(e.args)})`;
    case 'aggregate':
      return `${e.fn}(${list(e.args)})`;
    case 'if':
      return `if(${list([e.cond, e.then, e.else])})`;
    case 'coalesce':
      return `coalesce(${list(e.args)})`;
    case 'object':
      return printObject(e);
  }
}

function printKey(key: string): string {
  return IDENT.test(key) ? key : printString(key);
}

function printObject(o: A.ObjectLit): string {
  if (o.entries.length === 0) return '{}';
  return `{ ${o.entries.map((x) => `${printKey(x.key)}: ${printExpr(x.value)}`).join(', ')} }`;
}

function printQuantifier(q: A.Quantifier): string {
  switch (q.kind) {
    case 'optional':
      return '?';
    case 'one-or-more':
      return '+';
    case 'zero-or-more':
      return '*';
    case 'times':
      if (q.max === q.min) return `{${q.min}}`;
      return `{${q.min},${q.max === null ? '' : q.max}}`;
  }
}

function printModifier(m: A.Modifier): string {
  return m.kind === 'until' ? `until ${printExpr(m.cond)}` : m.kind;
}

function printTerm(t: A.Term): string {
  let out = t.variable.name;
  if (t.quantifier !== null) out += printQuantifier(t.quantifier);
  if (t.optional) out += '?';
  for (const m of t.modifiers) out += ` ${printModifier(m)}`;
  return out;
}

const CONNECTORS: Readonly<Record<A.ConnectorKind, string>> = {
  next: 'next',
  'followed-by': 'followed by',
  'followed-by-any': 'followed by any',
  'not-next': 'not next',
  'not-followed-by': 'not followed by',
};

function printAfterMatch(a: A.AfterMatch): string {
  switch (a.kind) {
    case 'no-skip':
      return 'no skip';
    case 'skip-to-next':
      return 'skip to next';
    case 'skip-past-last-event':
      return 'skip past last event';
    case 'skip-to-first':
      return `skip to first ${a.variable.name}`;
    case 'skip-to-last':
      return `skip to last ${a.variable.name}`;
  }
}

function printWindow(w: A.WindowClause): string {
  switch (w.kind) {
    case 'tumbling':
      return `window tumbling ${printExpr(w.size)}${w.offset === null ? '' : ` offset ${printExpr(w.offset)}`}`;
    case 'sliding':
      return `window sliding ${printExpr(w.size)} every ${printExpr(w.slide)}${w.offset === null ? '' : ` offset ${printExpr(w.offset)}`}`;
    case 'session':
      return `window session gap ${printExpr(w.gap)}`;
  }
}

function printSelect(s: A.Select): string {
  const items = s.items.map((i) => `${printExpr(i.expr)}${i.alias === null ? '' : ` as ${i.alias.name}`}`);
  return `select ${[...(s.star ? ['*'] : []), ...items].join(', ')}`;
}

/** A feed's field name: bare when it reads as a word, else quoted. */
function feedName(n: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : JSON.stringify(n);
}

function printSourceClause(c: A.SourceClause): string {
  switch (c.kind) {
    case 'schema':
      return `schema ${c.name.name}${c.options === null ? '' : ` ${printObject(c.options)}`}`;
    case 'fields':
      return `fields { ${c.fields.map((f) => `${f.name.name}${f.optional ? '?' : ''}: ${f.type.name}`).join(', ')} }`;
    case 'map':
      return `map ${c.renames.map((r) => `${feedName(r.from.name)} as ${r.to.name}`).join(', ')}`;
    case 'map-values':
      return `map ${c.field.name} values ${printObject(c.values)}${c.otherwise === null ? '' : ` else ${printExpr(c.otherwise)}`}`;
    case 'time-zone':
      return `time zone ${JSON.stringify(c.zone.value)}`;
  }
}

export function printDecl(d: A.Decl): string {
  const lines: string[] = [];
  switch (d.kind) {
    case 'source':
      lines.push(`source ${d.name.name}`, `  event time ${d.eventTime.name}`);
      if (d.watermark !== null) lines.push(`  watermark ${printExpr(d.watermark)} out of order`);
      if (d.idleAfter !== null) lines.push(`  idle after ${printExpr(d.idleAfter)}`);
      for (const c of d.clauses) lines.push(`  ${printSourceClause(c)}`);
      break;
    case 'stream':
      lines.push(`stream ${d.name.name} = from ${[d.from, ...d.union].map((n) => n.name).join(' union ')}`);
      if (d.where !== null) lines.push(`  where ${printExpr(d.where)}`);
      for (const e of d.enrich) lines.push(`  enrich ${e.name.name} = ${printExpr(e.call)}`);
      if (d.keyBy.length > 0) lines.push(`  key by ${list(d.keyBy)}`);
      if (d.keep !== null) lines.push(`  keep ${printExpr(d.keep)}`);
      if (d.window !== null) lines.push(`  ${printWindow(d.window)}`);
      if (d.allowedLateness !== null) lines.push(`  allowed lateness ${printExpr(d.allowedLateness)}`);
      if (d.lateInto !== null) lines.push(`  late into ${d.lateInto.name}`);
      if (d.select !== null) lines.push(`  ${printSelect(d.select)}`);
      break;
    case 'pattern': {
      const params = d.params.map((p) => `${p.name.name} = ${printExpr(p.default)}`).join(', ');
      lines.push(`pattern ${d.name.name}(${params})`, `  from ${d.from.name}`);
      if (d.keyBy.length > 0) lines.push(`  key by ${list(d.keyBy)}`);
      for (const l of d.lets) {
        const params = l.params === null ? '' : `(${l.params.map((p) => p.name).join(', ')})`;
        lines.push(`  let ${l.name.name}${params} = ${printExpr(l.body)}`);
      }
      if (d.defines.length > 0) {
        lines.push('  define');
        for (const def of d.defines) lines.push(`    ${def.variable.name} as ${printExpr(def.cond)}`);
      }
      const match = d.match.map((s) => (s.connector === null ? '' : `${CONNECTORS[s.connector.kind]} `) + printTerm(s.term));
      lines.push(`  match ${match.join(' ')}`);
      if (d.within !== null) lines.push(`  within ${printExpr(d.within)}`);
      if (d.afterMatch !== null) lines.push(`  after match ${printAfterMatch(d.afterMatch)}`);
      if (d.allowedLateness !== null) lines.push(`  allowed lateness ${printExpr(d.allowedLateness)}`);
      if (d.lateInto !== null) lines.push(`  late into ${d.lateInto.name}`);
      if (d.emit !== null) lines.push(`  emit ${printObject(d.emit)}`);
      if (d.onTimeout !== null) lines.push(`  on timeout emit ${printObject(d.onTimeout)}`);
      break;
    }
  }
  return lines.join('\n') + '\n';
}

function printTable(t: A.TableDecl): string {
  if (t.entries !== null) return `table ${t.name.name} = ${printObject(t.entries)}\n`;
  const file = t.file === null ? '""' : printString(t.file.value);
  return `table ${t.name.name} = file ${file}${t.at === null ? '' : ` at ${printString(t.at.value)}`}\n`;
}

export function printProgram(p: A.Program): string {
  return [...p.tables.map(printTable), ...p.decls.map(printDecl)].join('\n');
}

/** Whether a name can be printed bare (the printer relies on the AST holding only parseable names). */
export function isPlainName(name: string): boolean {
  return IDENT.test(name) && !reserved.has(name);
}
