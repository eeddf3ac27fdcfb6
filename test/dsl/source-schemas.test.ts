/**
 * What a source declares about its records: `schema NAME { options }` from a registry passed in, `fields { ... }`,
 * or neither (open); `map a as b`, `map f values { ... } else v`, `time zone`. Errors are positioned; the checked
 * source carries the shape and mapping the runtime applies.
 */
import { describe, expect, test } from 'vitest';
import { type CheckedProgram, type CheckOptions, checkProgram, formatDslError, parseProgram, SchemaRegistry } from '../../src/dsl/index.js';

const schemas = new SchemaRegistry().register({
  name: 'camera',
  fields: { id: 'string', plate: 'string', colour: 'string', ts: 'timestamp', speed: 'number', lane: 'number' },
  boundedFields: new Set(['colour']),
  options: { min_confidence: 'number' },
});

function check(source: string, options: CheckOptions = { schemas }): { program: CheckedProgram | null; errors: string[] } {
  const parsed = parseProgram(source, 't.pattern');
  if (!parsed.ok) throw new Error(formatDslError(parsed.error, source));
  const r = checkProgram(parsed.program, options);
  return { program: r.program, errors: r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`) };
}

const errorsOf = (source: string): string[] => check(source).errors;

describe('schema NAME', () => {
  test('types the fields and closes the record: an unknown field is an error with a suggestion', () => {
    const r = check('source s event time ts schema camera\nstream x = from s where spede > 3\n');
    expect(r.errors).toEqual(["2:25: unknown field 'spede' in the records of 's'"]);
  });

  test('carries its options, bounded fields and the shape the runtime binds to a validation', () => {
    const { program } = check('source s event time ts schema camera { min_confidence: 80 }\n');
    const s = program?.sources.get('s');
    expect(s?.shape).toEqual({ kind: 'named', name: 'camera', options: { min_confidence: 80 } });
    expect([...(s?.boundedFields ?? [])]).toEqual(['colour']);
    expect(s?.schema.open).toBe(false);
  });

  test('an unknown schema, an unknown option and an option of the wrong type are errors', () => {
    expect(errorsOf('source s event time ts schema camra\n')).toEqual([
      "1:31: unknown schema 'camra'; did you mean 'camera'? (schemas: camera; or declare the fields with 'fields { ... }')",
    ]);
    expect(errorsOf('source s event time ts schema camera { min_confidense: 80, min_confidence: "high" }\n')).toEqual([
      "1:40: schema 'camera' has no option 'min_confidense'; did you mean 'min_confidence'? (options: min_confidence)",
      "1:76: the option 'min_confidence' of schema 'camera' takes a number literal",
    ]);
  });

  test('the language knows no schema of its own', () => {
    expect(check('source s event time ts schema traffic\n', {}).errors).toEqual([
      "1:31: unknown schema 'traffic' (no schemas are registered; or declare the fields with 'fields { ... }')",
    ]);
  });

  test('one schema or fields clause per source', () => {
    expect(errorsOf('source s event time ts schema camera fields { ts: timestamp }\n')).toEqual([
      "1:38: a source has one 'schema' or one 'fields' clause; 's' already has 'schema' at line 1",
    ]);
  });
});

describe('fields { ... }', () => {
  test('declared fields type expressions; others are unknown fields', () => {
    const src = 'source bus event time ts fields { vehicle: string, speed: number, ts: timestamp, door_open?: boolean }\n';
    expect(check(`${src}stream x = from bus where speed > "fast"\n`).errors).toEqual(["2:33: cannot order a number and a string with '>'"]);
    expect(check(`${src}stream x = from bus where vehicel == "b1"\n`).errors).toEqual([
      "2:27: unknown field 'vehicel' in the records of 'bus'; did you mean 'vehicle'?",
    ]);
    const { program } = check(`${src}stream x = from bus where not coalesce(door_open, false)\n`);
    const shape = program?.sources.get('bus')?.shape;
    expect(shape?.kind === 'declared' ? [...shape.fields] : null).toEqual([
      ['vehicle', { type: 'string', optional: false }],
      ['speed', { type: 'number', optional: false }],
      ['ts', { type: 'timestamp', optional: false }],
      ['door_open', { type: 'boolean', optional: true }],
    ]);
    expect([...(program?.sources.get('bus')?.boundedFields ?? [])]).toEqual(['door_open']);
  });

  test('unknown types, duplicate fields and a bad event time field are errors', () => {
    expect(errorsOf('source s event time ts fields { a: strng, b: string, b: number, ts: string }\n')).toEqual([
      "1:36: unknown field type 'strng'; did you mean 'string'? (types: string, number, boolean, timestamp, duration)",
      "1:54: the field 'b' is declared twice",
      "1:69: the event time field 'ts' must be declared as a timestamp (epoch ms or ISO-8601 in the feed), not string",
    ]);
    expect(errorsOf('source s event time at fields { ts: timestamp }\n')).toEqual(["1:21: the event time field 'at' is not a field of the records of 's'"]);
    expect(errorsOf('source s event time ts fields { ts?: timestamp }\n')).toEqual([
      "1:38: the event time field 'ts' cannot be optional: a record without one has no place in time",
    ]);
  });
});

describe('an open source', () => {
  test('reads any field, typed as it is used', () => {
    const { program, errors } = check('source s event time ts\nstream x = from s where anything > 3 and other == "x"\n');
    expect(errors).toEqual([]);
    expect(program?.sources.get('s')?.shape).toEqual({ kind: 'open' });
    expect(program?.sources.get('s')?.schema.open).toBe(true);
  });
});

describe('map, map values, time zone', () => {
  test('are carried as the feed mapping', () => {
    const { program, errors } = check(`source s event time ts schema camera
  map kkbh as id, hphm as plate, "plate colour" as colour, gcsj as ts
  map colour values { "2": "blue", "1": "yellow" } else "unknown"
  time zone "+08:00"
`);
    expect(errors).toEqual([]);
    const m = program?.sources.get('s')?.mapping;
    expect([...(m?.renames ?? [])]).toEqual([
      ['kkbh', 'id'],
      ['hphm', 'plate'],
      ['plate colour', 'colour'],
      ['gcsj', 'ts'],
    ]);
    expect(m?.values.get('colour')).toEqual({
      codes: new Map([
        ['2', 'blue'],
        ['1', 'yellow'],
      ]),
      otherwise: 'unknown',
    });
    expect(m?.zoneOffsetMinutes).toBe(480);
  });

  test('a mapped name or value-mapped field must be a field of a closed schema; values must fit it', () => {
    expect(
      errorsOf(`source s event time ts schema camera
  map kkbh as checkpoint, hphm as plate, cp as plate
  map lane values { "1": "left" }
  map colur values { "1": "x" }
`),
    ).toEqual([
      "2:15: the mapped name 'checkpoint' is not a field of the records of 's'",
      "2:48: 'hphm' is already mapped to 'plate'",
      "3:26: 'lane' is a number, but this maps a code to a string",
      "4:7: the field 'colur' is not a field of the records of 's'; did you mean 'colour'?",
    ]);
  });

  test('duplicate maps, codes and zones, bad zones and non-literal values are errors', () => {
    expect(
      errorsOf(`source s event time ts
  map a as b, a as c
  map b values { "1": x, "2": 2, "2": 3 }
  map b values { "3": 3 }
  time zone "CST"
  time zone "+08:00"
`),
    ).toEqual([
      "2:15: the feed field 'a' is mapped twice",
      '3:23: a mapped value must be a literal such as "blue" or 2',
      '3:34: the code "2" is mapped twice',
      "4:7: the values of 'b' are mapped twice",
      '5:13: \'time zone\' takes a fixed offset such as "+08:00", "-05:00" or "Z", got "CST"',
      "6:3: 'time zone' is given twice (first at line 5)",
    ]);
  });
});
