/**
 * What `npm run fuzz` and test/fuzz throw at the two front doors of Vigil: the record parser with the traffic
 * validator (every line of a feed), and the pattern-language lexer, parser and checker (every pattern file and
 * rule upload). Each target takes one generated input and returns what happened, or throws an Error saying which
 * promise it broke: a crash (anything thrown), a hang (over the time bound), a rejection without a message, or
 * an accepted record that should not have been.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lookupSignatures } from '../src/app/lookups.js';
import { defaultPaths, functionsFor } from '../src/app/program.js';
import { recordParser, trafficCheck } from '../src/app/record-parser.js';
import { domainSchemas } from '../src/app/sources.js';
import type { ParseContext } from '../src/core/index.js';
import { MAX_EVENT_TIME } from '../src/core/time.js';
import { checkProgram, DslError, parseProgram } from '../src/dsl/index.js';
import { hasControlChar, invisibleCharIn } from '../src/traffic/plate.js';
import { CheckpointRegistry } from '../src/traffic/registry.js';

/** No single input may take longer than this (ms of wall time): a pathological case is a bug, not a slow input. */
export const TIME_BOUND_MS = 2_000;

export type Outcome = 'accepted' | 'rejected' | 'control';

// ---------------------------------------------------------------- records

const registry = CheckpointRegistry.fromJson([
  { id: 'CP0001', name: 'one', lat: 30.27, lon: 120.15, segment: 'S1', direction: 'in', kind: 'entry', lanes: 3 },
  { id: 'CP0002', name: 'two', lat: 30.28, lon: 120.16, segment: 'S1', direction: 'in', kind: 'inner' },
]);
const NOW = Date.UTC(2026, 2, 2, 0, 0, 0);
const parseRecord = recordParser({ check: trafficCheck(registry), watermark: () => NOW });

/** Feeds one line (as text) through the parser and the traffic check, as `vigil run` does with a file's line. */
export function recordTarget(text: string): Outcome {
  const bytes = Buffer.from(text, 'utf8').toString('latin1');
  const outcomes: Array<['record', Record<string, unknown>] | ['dead', string] | ['watermark', number]> = [];
  const ctx: ParseContext<Record<string, unknown>> = {
    record: (r) => outcomes.push(['record', r]),
    deadLetter: (reason) => outcomes.push(['dead', reason]),
    watermark: (ts) => outcomes.push(['watermark', ts]),
  };
  const start = performance.now();
  parseRecord(bytes, ctx);
  const took = performance.now() - start;
  if (took > TIME_BOUND_MS) throw new Error(`took ${took.toFixed(0)} ms (bound ${TIME_BOUND_MS} ms)`);
  // Spaces, tabs and CRs only: a line of other spaces (U+00A0, U+3000) is not blank, it is a bad record.
  const blank = /^[ \t\r]*$/.test(text);
  if (outcomes.length !== (blank ? 0 : 1)) throw new Error(`${outcomes.length} outcomes for one line`);
  const [o] = outcomes;
  if (o === undefined) return 'control';
  if (o[0] === 'dead') {
    if (typeof o[1] !== 'string' || o[1].trim().length < 3) throw new Error(`a dead letter without a reason: ${JSON.stringify(o[1])}`);
    return 'rejected';
  }
  if (o[0] === 'watermark') {
    if (!Number.isFinite(o[1])) throw new Error(`a watermark that is not finite: ${o[1]}`);
    return 'control';
  }
  const r = o[1];
  const plate = r['plate'];
  if (typeof plate !== 'string' || hasControlChar(plate) || invisibleCharIn(plate) >= 0) throw new Error(`accepted a bad plate ${JSON.stringify(plate)}`);
  const ts = r['ts'];
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || Math.abs(ts) > MAX_EVENT_TIME) throw new Error(`accepted a bad ts ${String(ts)}`);
  if (typeof r['speed'] === 'number' && !Number.isFinite(r['speed'])) throw new Error(`accepted a bad speed ${String(r['speed'])}`);
  JSON.stringify(r); // an accepted record must be writable as an alert's evidence
  return 'accepted';
}

const BIDI = [
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\ufeff',
];
const plateText = fc.oneof(
  fc.constantFrom('浙A12345', '浙a 123-45', 'ＡＢ１２３', 'UNKNOWN', '无牌', '00000', ''),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ unit: fc.constantFrom(...BIDI, 'A', '1', '浙', '\u0000', '\u001f', '\u007f', ' '), maxLength: 14 }),
  fc.tuple(fc.constantFrom('浙A1', '京B'), fc.constantFrom(...BIDI), fc.constantFrom('2345', '54321')).map(([a, b, c]) => a + b + c),
);
/** JSON text of a value (strings escaped or not), or a bare token that is not JSON at all. */
const tsText = fc.oneof(
  fc.constant(String(NOW)),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e19', '-1e19', '9007199254740993', '1e308', '-0', '0', '1772409600', '"1772409600000"'),
  fc.constantFrom('"9999-12-31T23:59:59Z"', '"1969-12-31T23:59:59Z"', '"1900-01-01T00:00:00+08:00"', '"2026-03-02T08:00:00"', '"2026-13-45T99:99:99Z"'),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : 'null')),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString())),
);
const numberText = fc.oneof(
  fc.constantFrom('54.5', '"54"', 'NaN', '-1', '1e400', 'true', 'null', '[]', '{}', '"fast"'),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '1e999')),
);
const anyJson = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null');
const deep = fc
  .tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([n, open, closed]) => `{"plate":${open.repeat(n)}1${closed ? (open === '[' ? ']' : '}').repeat(n) : ''}}`);
/** `"name":value`: mostly a good value, sometimes a bad one, now and then missing. */
const fieldText = (name: string, good: string, bad: fc.Arbitrary<string>) =>
  fc.option(
    fc.oneof({ arbitrary: fc.constant(good), weight: 9 }, { arbitrary: bad, weight: 1 }).map((v) => `${JSON.stringify(name)}:${v}`),
    { nil: undefined, freq: 30 },
  );

/** A record-shaped line with each field correct, mangled or missing. */
const recordLine = fc
  .tuple(
    fieldText('id', '"r1"', anyJson),
    fieldText(
      'plate',
      '"浙A12345"',
      fc.oneof(
        plateText.map((p) => JSON.stringify(p)),
        anyJson,
      ),
    ),
    fieldText('plate_color', '"blue"', fc.oneof(fc.constantFrom('"yellow"', '"purple"', '"BLUE"', '1'), anyJson)),
    fieldText('vehicle_type', '"car"', fc.constantFrom('"truck"', '5', 'null')),
    fieldText('checkpoint', '"CP0001"', fc.oneof(fc.constantFrom('"CP0002"', '"CP9999"', '"cp0001"', '1', '""'), anyJson)),
    fieldText('lane', '1', fc.oneof(fc.constantFrom('"2"', '-1', '1.5'), numberText)),
    fieldText('direction', '"in"', fc.oneof(fc.constantFrom('"out"', '"进城"', '"\u202ein"', '7'), anyJson)),
    fieldText('speed', '54.5', numberText),
    fieldText('ts', String(NOW), tsText),
    fieldText('plate_confidence', '90', numberText),
    fc.constantFrom('', '', '', ',"extra":{"x":[1,2,{"y":null}]}', ',"plate":"dup"', ',"__proto__":{"polluted":1}', ',"constructor":1'),
  )
  .map(([...fields]) => {
    const extra = fields.pop() as string;
    return `{${fields.filter((f): f is string => f !== undefined).join(',')}${extra}}`.replace('{,', '{');
  });

/** Lines to feed the record parser: mostly near-records, also raw bytes, deep JSON, long lines, control lines. */
export function recordLines(longLines: boolean): fc.Arbitrary<string> {
  const arbs: Array<fc.WeightedArbitrary<string>> = [
    { arbitrary: recordLine, weight: 60 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')), weight: 10 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 10 },
    { arbitrary: deep, weight: 5 },
    { arbitrary: anyJson, weight: 5 },
    {
      arbitrary: fc.constantFrom('{"$watermark":1772409600000}', '{"$watermark":"NaN"}', '{"$watermark":1e400}', '\ufeff{"a":1}', '   ', '{}', '[]', 'null'),
      weight: 5,
    },
  ];
  // About one line in a hundred: megabytes each, they would otherwise be most of the run's time.
  if (longLines) {
    arbs.push({
      arbitrary: fc
        .tuple(fc.integer({ min: 100_000, max: 2_000_000 }), fc.constantFrom('x', '浙', '\u202e', '\\u0000'))
        .map(([n, c]) => `{"id":"long","plate":"${c.repeat(Math.ceil(n / c.length))}","ts":${NOW}}`),
      weight: 1,
    });
  }
  // A line never holds a newline: the source splits on them.
  return fc.oneof(...arbs).map((l) => l.replaceAll('\n', ' '));
}

// ---------------------------------------------------------------- patterns

const patternDir = defaultPaths.patterns;
/** The shipped pattern files, as `vigil check` reads them. */
export const shippedPatterns: ReadonlyArray<{ file: string; source: string }> = readdirSync(patternDir)
  .filter((f) => f.endsWith('.pattern'))
  .sort()
  .map((f) => ({ file: `patterns/${f}`, source: readFileSync(join(patternDir, f), 'utf8') }));

/** The shipped files parsed once: a mutated file is checked with the others it needs, not parsed again each time. */
const shippedPrograms = shippedPatterns.map((f) => {
  const r = parseProgram(f.source, f.file);
  if (!r.ok) throw new Error(`${f.file} does not parse`);
  return { file: f.file, program: r.program };
});

const checkOptions = { functions: functionsFor(registry), lookups: lookupSignatures(), schemas: domainSchemas() };

/**
 * Parses and checks `source` as the file `fuzz.pattern`, with the shipped files except the one it replaces when it
 * is a mutated shipped file (so it still finds the sources and streams of the others). Every error must be a DslError placed in a real file,
 * at a line and column inside it, with a message.
 */
export function patternTarget(source: string, replaces: string | null): Outcome {
  const start = performance.now();
  const parsed = parseProgram(source, 'fuzz.pattern');
  const others = replaces === null ? [] : shippedPrograms.filter((p) => p.file !== replaces);
  const result = parsed.ok ? checkProgram([...others.map((p) => p.program), parsed.program], checkOptions) : { errors: parsed.errors, program: null };
  const took = performance.now() - start;
  if (took > TIME_BOUND_MS) throw new Error(`took ${took.toFixed(0)} ms (bound ${TIME_BOUND_MS} ms)`);
  if (result.errors.length === 0) {
    if (result.program === null) throw new Error('no errors and no program');
    return 'accepted';
  }
  const files = [...shippedPatterns, { file: 'fuzz.pattern', source }];
  const lineCounts = new Map(files.map((f) => [f.file, f.source.split('\n').length]));
  for (const e of result.errors) {
    if (!(e instanceof DslError)) throw new Error(`an error that is not a DslError: ${String(e)}`);
    const lines = lineCounts.get(e.file);
    if (lines === undefined) throw new Error(`an error in an unknown file '${e.file}': ${e.message}`);
    if (!(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines + 1)) throw new Error(`an error at line ${e.line} of ${lines}: ${e.message}`);
    if (!(Number.isInteger(e.col) && e.col >= 1)) throw new Error(`an error at column ${e.col}: ${e.message}`);
    if (e.message.trim().length < 3) throw new Error(`an error without a message at ${e.file}:${e.line}:${e.col}`);
  }
  return 'rejected';
}

const WORDS = [
  ...new Set(shippedPatterns.flatMap((f) => f.source.split(/[\s(){}[\],.:;=<>!+\-*/%|&"'`]+/)).filter((w) => w.length > 0 && w.length < 30 && !/^--/.test(w))),
];
const PUNCT = ['(', ')', '{', '}', '[', ']', ',', '.', ':', '=', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '|', '?', '--', '"', "'"];
const token = fc.oneof(
  { arbitrary: fc.constantFrom(...WORDS), weight: 8 },
  { arbitrary: fc.constantFrom(...PUNCT), weight: 4 },
  { arbitrary: fc.constantFrom('5m', '1e19d', '0s', '99999999999999d', '10ms', '1.5h', '1000000', '-3', '0x1f', '1e400'), weight: 2 },
  { arbitrary: fc.constantFrom('a{1000}', 'b{1001}', 'c{2,1}', 'd{0,}', 'e+', 'f*', 'g?', 'any', 'followed by any'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 4 }), weight: 1 },
);
const gap = fc.constantFrom(' ', ' ', ' ', '\n', '\n  ', '\t', '\r\n', '');
/** A random soup of the language's own words and punctuation. */
export const tokenSoup: fc.Arbitrary<string> = fc.array(fc.tuple(token, gap), { maxLength: 120 }).map((ts) => ts.map(([t, g]) => t + g).join(''));

const deepNesting = fc
  .tuple(fc.integer({ min: 10, max: 5_000 }), fc.constantFrom('(', 'not ', '-', 'abs('))
  .map(([n, open]) => `source s event time ts\npattern p from s define a as ${open.repeat(n)}1${open.endsWith('(') ? ')'.repeat(n) : ''} == 1 match a\n`);

/** A shipped pattern file with spans cut, repeated, swapped or replaced by soup; and the file it replaces. */
export const mutatedPattern: fc.Arbitrary<{ source: string; replaces: string | null }> = fc
  .tuple(
    fc.integer({ min: 0, max: shippedPatterns.length - 1 }),
    fc.array(fc.tuple(fc.constantFrom('cut', 'repeat', 'insert', 'swap-lines', 'char'), fc.nat(), fc.nat({ max: 80 }), token), { minLength: 1, maxLength: 4 }),
  )
  .map(([i, edits]) => {
    const file = shippedPatterns[i] as { file: string; source: string };
    let s = file.source;
    for (const [kind, at0, len, tok] of edits) {
      const at = at0 % (s.length + 1);
      if (kind === 'cut') s = s.slice(0, at) + s.slice(at + len);
      else if (kind === 'repeat') s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
      else if (kind === 'insert') s = `${s.slice(0, at)} ${tok} ${s.slice(at)}`;
      else if (kind === 'char') s = s.slice(0, at) + tok.slice(0, 1) + s.slice(at + 1);
      else {
        const lines = s.split('\n');
        const a = at % lines.length;
        const b = (at + len) % lines.length;
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
        s = lines.join('\n');
      }
    }
    return { source: s, replaces: file.file };
  });

/** Pattern inputs: soups, mutated shipped files, deep nesting. */
export const patternInputs: fc.Arbitrary<{ source: string; replaces: string | null }> = fc.oneof(
  { arbitrary: tokenSoup.map((source) => ({ source, replaces: null })), weight: 4 },
  { arbitrary: mutatedPattern, weight: 6 },
  { arbitrary: deepNesting.map((source) => ({ source, replaces: null })), weight: 1 },
);
