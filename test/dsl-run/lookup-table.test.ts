/** Lookup tables: `table t = {...}` / `table t = file "x.json" [at "a.b"]`, read by `lookup(t, key[, default])`. */
import { describe, expect, it } from 'vitest';
import { checkProgram, formatDslError, parseProgram, printProgram } from '../../src/dsl/index.js';
import { runFiles, s, T0 } from './helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 1m out of order\n\n';
const FILES: Record<string, string> = {
  'names.json': JSON.stringify({ _about: 'test', provinces: { 浙: 'Zhejiang', 沪: 'Shanghai' }, nested: { deep: { a: 1, b: 2 } } }),
  'mixed.json': JSON.stringify({ a: 'x', b: 3 }),
  'bad.json': '{ "a": ',
  'list.json': JSON.stringify({ a: ['x'] }),
};

/** Checks `text` after the source as /dir/t.pattern, reading table files from FILES. */
function check(text: string) {
  const full = SOURCE + text;
  const parsed = parseProgram(full, 't.pattern');
  if (!parsed.ok) throw new Error(formatDslError(parsed.error, full));
  const readFile = (path: string): string => {
    const name = path.slice('/dir/'.length);
    const t = FILES[name];
    if (t === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return t;
  };
  return { parsed: parsed.program, result: checkProgram(parsed.program, { tableFiles: { baseDir: '/dir', readFile } }) };
}
const errors = (text: string): string[] => check(text).result.errors.map((e) => `${e.line}:${e.col}: ${e.message}`);
const typeOf = (text: string, field: string) => check(text).result.program?.streams.get('t')?.output.fields.get(field);

describe('table declarations and lookup()', () => {
  it('parses both forms and prints them back', () => {
    const { parsed } = check('table a = { "浙": "Zhejiang", x: 1 }\ntable b = file "names.json" at "provinces"\n');
    expect(parsed.tables.map((t) => t.name.name)).toEqual(['a', 'b']);
    expect(printProgram(parsed)).toContain('table a = { "浙": "Zhejiang", x: 1 }\n');
    expect(printProgram(parsed)).toContain('table b = file "names.json" at "provinces"\n');
    expect(parsed.decls.map((d) => d.name.name)).toEqual(['passes']);
  });

  it('types a lookup by the table values: null when absent, or the default', () => {
    const t = 'table p = file "names.json" at "provinces"\ntable n = file "names.json" at "nested.deep"\ntable m = file "mixed.json"\n';
    expect(errors(`${t}stream t = from passes select lookup(p, substr(plate, 0, 1)) as name`)).toEqual([]);
    expect(typeOf(`${t}stream t = from passes select lookup(p, substr(plate, 0, 1)) as name`, 'name')).toBe('string');
    expect(typeOf(`${t}stream t = from passes select lookup(n, plate, 0) as v`, 'v')).toBe('number');
    expect(typeOf(`${t}stream t = from passes select lookup(m, plate) as v`, 'v')).toBe('unknown');
    expect(errors(`${t}stream t = from passes where lookup(n, plate, 0) > 1`)).toEqual([]);
  });

  it('reports every misuse at its place', () => {
    expect(errors('stream t = from passes select lookup(nope, plate) as v')).toEqual(["5:38: unknown table 'nope'"]);
    expect(errors('table prov = { a: "x" }\nstream t = from passes select lookup(provs, plate) as v')).toEqual([
      "6:38: unknown table 'provs'; did you mean 'prov'?",
    ]);
    expect(errors('table p = { a: "x" }\nstream t = from passes select lookup(p) as v')).toEqual([
      "6:31: 'lookup' takes 2 or 3 arguments (table, key[, default]), got 1",
    ]);
    expect(errors('table p = { a: "x" }\nstream t = from passes select lookup("p", plate) as v')).toEqual([
      "6:38: the first argument of 'lookup' must be the name of a table (declared with 'table name = ...')",
    ]);
    expect(errors('table p = { a: "x" }\nstream t = from passes select lookup(p, plate, 0) as v')).toEqual([
      "6:48: the default of 'lookup' is a number, but the table's values are of another type (a string)",
    ]);
    expect(errors('table p = { a: "x" }\nstream t = from passes select lookup(p, ts > 0) as v')).toEqual([
      "6:41: the key of 'lookup' must be a string or a number, got a boolean",
    ]);
    expect(errors('table p = { a: "x" }\ntable p = { b: "y" }\n')).toEqual(["6:7: the table 'p' is already declared at t.pattern:5:7"]);
    expect(errors('table p = { a: speed }\n')).toEqual(["5:16: the values of table 'p' must be string, number or boolean literals"]);
  });

  it('reports a missing, invalid or ill-shaped file at the file name or key path', () => {
    const use = '\nstream t = from passes select lookup(p, plate) as v';
    expect(errors(`table p = file "none.json"${use}`)).toEqual(["5:16: cannot read the table file 'none.json': no such file"]);
    expect(errors(`table p = file "bad.json"${use}`)).toEqual([expect.stringMatching(/^5:16: the table file 'bad.json' is not valid JSON: /)]);
    expect(errors(`table p = file "list.json"${use}`)).toEqual([
      "5:16: in the table file 'list.json', the value of 'a' is a list; a table's values must be strings, numbers or booleans",
    ]);
    expect(errors(`table p = file "names.json"${use}`)).toEqual([
      "5:16: in the table file 'names.json', the value of 'provinces' is an object; a table's values must be strings, numbers or booleans",
    ]);
    expect(errors(`table p = file "names.json" at "cities"${use}`)).toEqual(["5:32: the table file 'names.json' has no key 'cities'"]);
    expect(errors(`table p = file "names.json" at "_about"${use}`)).toEqual([
      "5:32: '_about' of the table file 'names.json' must be a JSON object of keys to values",
    ]);
  });
});

describe('lookup() in a run', () => {
  it('joins each record with its table entry, null or the default when absent', async () => {
    const text =
      'table province = file "../tables/names.json" at "provinces"\n' +
      'table lanes = { "1": "bus", "2": "car" }\n' +
      SOURCE +
      'stream t = from passes\n' +
      '  select plate, lookup(province, substr(plate, 0, 1)) as province, lookup(province, substr(plate, 0, 1), "?") as named,\n' +
      '         lookup(lanes, lane, "other") as lane_kind\n';
    const rec = (plate: string, lane: number, ts: number) => ({ plate, lane, checkpoint: 'CP0001', speed: 50, ts: T0 + ts });
    const r = await runFiles({
      patterns: { 'p/f.pattern': text },
      files: { 'tables/names.json': FILES['names.json'] as string },
      input: [rec('浙A1', 1, s(1)), rec('沪B2', 2, s(2)), rec('京C3', 3, s(3))],
      streams: ['t'],
      match: [],
    });
    expect(r.streams['t']).toEqual([
      { plate: '浙A1', province: 'Zhejiang', named: 'Zhejiang', lane_kind: 'bus' },
      { plate: '沪B2', province: 'Shanghai', named: 'Shanghai', lane_kind: 'car' },
      { plate: '京C3', province: null, named: '?', lane_kind: 'other' },
    ]);
  });
});
