/** The pattern language front end: parse, check, format errors. */
import type { Program } from './ast.js';
import { type CheckOptions, type CheckResult, checkProgram } from './checker.js';
import type { DslError } from './errors.js';
import { type ParseResult, parse } from './parser.js';

export type * from './ast.js';
export type * from './checked.js';
export type { CheckOptions, CheckResult } from './checker.js';
export { checkProgram, constantValue, literalValue } from './checker.js';
export { DslError, formatDslError } from './errors.js';
export type { FunctionSignature, LookupSignature, ResultType, Value, ValueObject } from './functions.js';
export { builtinFunctions, builtinLookups, FunctionRegistry, LookupRegistry } from './functions.js';
export type { ParseResult } from './parser.js';
export { printExpr, printProgram } from './print.js';
export type { DeclaredField, FeedMapping, NamedSchema, SourceShape, ValueMap } from './schemas.js';
export { isIdentityMapping, NO_MAPPING, parseZoneOffset, SchemaRegistry } from './schemas.js';
export type { LookupTable, TableFileRef, TableFiles, TableValue } from './tables.js';
export type { Type } from './types.js';
export { assignable, isNumeric, join } from './types.js';

/** Parses one file; a syntax error comes back as `{ ok: false, error }`. */
export function parseProgram(source: string, file: string): ParseResult {
  return parse(source, file);
}

/** Parses and checks several files as one program; all errors, sorted, or the checked program. */
export function compileSources(files: readonly { readonly file: string; readonly source: string }[], options: CheckOptions = {}): CheckResult {
  const programs: Program[] = [];
  const errors: DslError[] = [];
  for (const f of files) {
    const r = parse(f.source, f.file);
    if (r.ok) programs.push(r.program);
    else errors.push(...r.errors);
  }
  if (errors.length > 0) return { errors, program: null };
  return checkProgram(programs, options);
}

export { identityCodec } from './compile/identity.js';
// What the application builds on: a job from a checked program, rule files and alerts, lookups, local time,
// lint, positions in YAML files. Other layers import the language from here only.
export { buildJob, type JobInput, type JobOutputs, type JobSpec, type MatchRecord } from './compile/job.js';
export type { BatchLookup } from './compile/lookups.js';
export type { Rec } from './compile/scope.js';
export { sortErrors } from './errors.js';
export { formatWarning, lintProgram } from './lint.js';
export { fixedOffsetMinutes, isTimeZone, localTime } from './local-time.js';
export { type Alert, canonicalJson } from './rules/alert.js';
export { type LinkedRule, linkRules } from './rules/link.js';
export type { ParamValue, Route, Rule, Severity, WebhookRoute } from './rules/rule.js';
export { parseRuleFile } from './rules/rule-file.js';
export { type Position, parseYamlFile, type Report } from './yaml-file.js';
