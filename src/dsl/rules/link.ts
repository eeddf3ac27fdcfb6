import type { CheckedProgram, ParamInfo } from '../checked.js';
import { DslError } from '../errors.js';
import type { Value } from '../functions.js';
import type { Rule } from './rule.js';
import { parseDurationText } from './rule-file.js';

/** A rule bound to its pattern, with every parameter's value (rule override or the pattern's default). */
export interface LinkedRule {
  readonly rule: Rule;
  readonly params: Readonly<Record<string, Value>>;
}

/**
 * Checks rules against the program: the pattern exists, every parameter is one the pattern declares and has the
 * declared type (durations may be written `30m`), rule ids are unique. Returns all errors, with positions in the
 * rule files.
 */
export function linkRules(program: CheckedProgram, rules: readonly Rule[]): { linked: LinkedRule[]; errors: DslError[] } {
  const errors: DslError[] = [];
  const linked: LinkedRule[] = [];
  const seen = new Map<string, Rule>();
  for (const rule of rules) {
    const dup = seen.get(rule.id);
    if (dup !== undefined) {
      errors.push(new DslError(rule.file, 1, 1, `id: duplicate rule id '${rule.id}' (also in ${dup.file})`));
      continue;
    }
    seen.set(rule.id, rule);
    const pattern = program.patterns.get(rule.pattern);
    if (pattern === undefined) {
      const known = [...program.patterns.keys()].sort().join(', ') || 'none';
      errors.push(
        new DslError(rule.file, rule.patternPosition.line, rule.patternPosition.col, `pattern: unknown pattern '${rule.pattern}' (patterns: ${known})`),
      );
      continue;
    }
    const byName = new Map(pattern.params.map((p) => [p.name, p]));
    const params: Record<string, Value> = {};
    for (const p of pattern.params) params[p.name] = p.default;
    let ok = true;
    for (const [name, raw] of Object.entries(rule.params)) {
      const at = rule.paramPositions[name] ?? { line: 1, col: 1 };
      const info = byName.get(name);
      if (info === undefined) {
        const known = pattern.params.map((p) => p.name).join(', ') || 'none';
        errors.push(new DslError(rule.file, at.line, at.col, `params.${name}: unknown parameter of pattern '${rule.pattern}' (parameters: ${known})`));
        ok = false;
        continue;
      }
      const value = coerce(raw, info);
      if (value === undefined) {
        errors.push(new DslError(rule.file, at.line, at.col, `params.${name}: expected ${describe(info)}, got ${JSON.stringify(raw)}`));
        ok = false;
        continue;
      }
      params[name] = value;
    }
    if (ok) linked.push({ rule, params });
  }
  return { linked, errors };
}

function coerce(raw: number | string | boolean, info: ParamInfo): Value | undefined {
  // Rules may come from elsewhere than rule-file.ts (the service API, test cases): no NaN or infinity either way.
  if (typeof raw === 'number' && !Number.isFinite(raw)) return undefined;
  switch (info.type) {
    case 'duration':
    case 'timestamp':
      if (typeof raw === 'number') return raw;
      return typeof raw === 'string' ? (parseDurationText(raw) ?? undefined) : undefined;
    case 'number':
      return typeof raw === 'number' ? raw : undefined;
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'boolean':
      return typeof raw === 'boolean' ? raw : undefined;
    default:
      return raw;
  }
}

function describe(info: ParamInfo): string {
  return info.type === 'duration' ? 'a duration such as 30m' : `a ${info.type}`;
}
