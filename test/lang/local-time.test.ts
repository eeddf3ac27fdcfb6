/** Time of day in a configured zone: local_hour, local_minute, local_weekday, local_date; hours() of a timestamp refused. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { functionsFor } from '../../src/app/program.js';
import { compileCondition, compileExpr } from '../../src/dsl/compile/expr.js';
import { RecordScope } from '../../src/dsl/compile/scope.js';
import { builtinFunctions, checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { LocalTime } from '../../src/dsl/local-time.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';

/** What Intl says the wall clock reads, field by field: the reference the cached arithmetic must agree with. */
function wall(zone: string, ts: number): { hour: number; minute: number; weekday: number; date: string } {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const p = Object.fromEntries(f.formatToParts(ts).map((x) => [x.type, x.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p['weekday'] ?? '') + 1;
  return { hour: Number(p['hour']), minute: Number(p['minute']), weekday, date: `${p['year']}-${p['month']}-${p['day']}` };
}

const ZONES = ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham'];

describe('LocalTime', () => {
  test('agrees with Intl in zones with DST, half-hour and 45-minute offsets, in any order of timestamps', () => {
    const times = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) });
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.array(times, { minLength: 1, maxLength: 20 }), (zone, list) => {
        const t = new LocalTime(zone);
        for (const ts of list) expect({ hour: t.hour(ts), minute: t.minute(ts), weekday: t.weekday(ts), date: t.date(ts) }).toEqual(wall(zone, ts));
      }),
      { numRuns: 200 },
    );
  });

  test('around a DST change, minute by minute (Europe/Berlin, 2026-03-29 and 2026-10-25)', () => {
    const t = new LocalTime('Europe/Berlin');
    for (const start of [Date.UTC(2026, 2, 29, 0, 0), Date.UTC(2026, 9, 25, 0, 0)]) {
      for (let ts = start; ts < start + 2 * 3_600_000; ts += 60_000) {
        expect([t.hour(ts), t.minute(ts)]).toEqual([wall('Europe/Berlin', ts).hour, wall('Europe/Berlin', ts).minute]);
      }
    }
    expect(t.hour(Date.UTC(2026, 2, 29, 0, 59))).toBe(1);
    expect(t.hour(Date.UTC(2026, 2, 29, 1, 0))).toBe(3);
  });

  test('weekday is ISO (Monday 1, Sunday 7) and the date is the local one', () => {
    const t = new LocalTime('Asia/Shanghai');
    // 2026-03-01T16:00Z is midnight on Monday 2 March in Shanghai, still Sunday in UTC.
    expect([t.weekday(Date.UTC(2026, 2, 1, 16)), t.date(Date.UTC(2026, 2, 1, 16)), t.hour(Date.UTC(2026, 2, 1, 16))]).toEqual([1, '2026-03-02', 0]);
    expect([t.weekday(Date.UTC(2026, 2, 1, 15, 59)), t.date(Date.UTC(2026, 2, 1, 15, 59))]).toEqual([7, '2026-03-01']);
  });
});

const SOURCE = 'source passes\n  event time ts\n';
const SCHEMA = { ts: 'timestamp', speed: 'number' } as const;

function check(text: string, zone = 'Asia/Shanghai') {
  const source = SOURCE + text;
  const parsed = parseProgram(source, 'night.pattern');
  if (!parsed.ok) throw new Error(parsed.error.message);
  const r = checkProgram(parsed.program, { schema: SCHEMA, functions: builtinFunctions({ timeZone: zone }) });
  return { errors: r.errors.map((e) => formatDslError(e, source)), program: r.program };
}

describe('the language', () => {
  test('"between 22:00 and 06:00" in the city\'s zone', () => {
    const { errors, program } = check('stream night = from passes where local_hour(ts) >= 22 or local_hour(ts) < 6\n');
    expect(errors).toEqual([]);
    const where = program?.streams.get('night')?.decl.where;
    if (program === null || where === null || where === undefined) throw new Error('no where');
    const night = compileCondition(where, { program, params: {} });
    const scope = new RecordScope();
    const at = (iso: string): boolean => {
      scope.event = { ts: Date.parse(iso), speed: 1 };
      return night(scope);
    };
    // 14:30Z is 22:30 in Shanghai; 22:30Z is 06:30 the next morning.
    expect([at('2026-03-02T14:30:00Z'), at('2026-03-02T21:59:00Z'), at('2026-03-02T22:00:00Z'), at('2026-03-02T13:59:00Z')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  test('weekday and date are typed and evaluate in the zone; a null time gives null', () => {
    const { errors, program } = check('stream s = from passes select local_weekday(ts) as dow, local_date(ts) as day, local_minute(ts) as m\n');
    expect(errors).toEqual([]);
    expect([...(program?.streams.get('s')?.output.fields ?? [])]).toEqual([
      ['dow', 'number'],
      ['day', 'string'],
      ['m', 'number'],
    ]);
    const items = program?.streams.get('s')?.decl.select?.items ?? [];
    const scope = new RecordScope();
    const values = (ts: number | null): unknown[] => {
      scope.event = { ts, speed: 1 };
      return items.map((i) => (program === null ? null : compileExpr(i.expr, { program, params: {} })(scope)));
    };
    expect(values(Date.UTC(2026, 2, 1, 16, 7))).toEqual([1, '2026-03-02', 7]);
    expect(values(null)).toEqual([null, null, null]);
  });

  test('hours() of a timestamp is refused, with the way to the hour of the day', () => {
    expect(check('stream s = from passes where hours(ts) >= 22\n').errors).toEqual([
      'night.pattern:3:36: argument 1 of \'hours\' must be a duration, got a timestamp (a time between two events, such as b.ts - a.ts, or since an instant: ts - timestamp("2026-03-02T00:00:00Z")); ' +
        'for the time of day use local_hour(ts)\nstream s = from passes where hours(ts) >= 22\n                                   ^',
    ]);
    expect(
      check('stream s = from passes where minutes(ts) > 1 and seconds(ts + 5m) > 1\n').errors.map((e) =>
        (e.split('\n')[0] ?? '').split(': ').slice(1).join(': '),
      ),
    ).toEqual([
      'argument 1 of \'minutes\' must be a duration, got a timestamp (a time between two events, such as b.ts - a.ts, or since an instant: ts - timestamp("2026-03-02T00:00:00Z")); for the time of day use local_hour(ts)',
      'argument 1 of \'seconds\' must be a duration, got a timestamp (a time between two events, such as b.ts - a.ts, or since an instant: ts - timestamp("2026-03-02T00:00:00Z")); for the time of day use local_hour(ts + 5m)',
    ]);
    expect(check('pattern p from passes define b as hours(b.ts - a.ts) < 2 and hours(abs(ts - a.ts) + 2m) < 2 match a next b\n').errors).toEqual([]);
    // Time since an instant: a timestamp minus a timestamp.
    expect(check('stream s = from passes where minutes(ts - timestamp("2026-03-02T00:00:00Z")) > 1 and minutes(ts - timestamp(0)) > 1\n').errors).toEqual([]);
    // And the other way: a local hour needs a point in time, not a duration.
    expect(check('pattern p from passes define b as local_hour(b.ts - a.ts) < 2 match a next b\n').errors.map((e) => e.split('\n')[0])).toEqual([
      "night.pattern:3:46: argument 1 of 'local_hour' must be a timestamp, got a duration",
    ]);
  });
});

test('timestamp() reads ISO-8601 with a zone, a date alone, or epoch ms; anything else is null', () => {
  const f = builtinFunctions().get('timestamp');
  expect(['2026-03-02T00:00:00+08:00', '2026-03-02T00:00Z', '2026-03-02', '2026-03-02T00:00:00', 'soon', 5, Infinity].map((x) => f?.impl(x))).toEqual([
    Date.UTC(2026, 2, 1, 16),
    Date.UTC(2026, 2, 2),
    Date.UTC(2026, 2, 2),
    null,
    null,
    5,
    null,
  ]);
});

describe('the configured zone', () => {
  const cps = [{ id: 'A', name: 'a', lat: 30, lon: 120, segment: 'S', direction: 'in', kind: 'entry' }];
  const hourAt = (functions: ReturnType<typeof builtinFunctions>, ts: number): unknown => functions.get('local_hour')?.impl(ts);

  test("a flag beats the registry's time_zone, which beats UTC", () => {
    const withZone = CheckpointRegistry.fromJson({ time_zone: 'Asia/Shanghai', checkpoints: cps });
    const plain = CheckpointRegistry.fromJson(cps);
    const ts = Date.UTC(2026, 2, 2, 0, 30);
    expect(withZone.timeZone).toBe('Asia/Shanghai');
    expect(hourAt(functionsFor(withZone), ts)).toBe(8);
    expect(hourAt(functionsFor(withZone, 'Europe/Berlin'), ts)).toBe(1);
    expect(hourAt(functionsFor(plain), ts)).toBe(0);
  });

  test('an unknown zone is refused, in the registry and as a flag', () => {
    expect(() => CheckpointRegistry.fromJson({ time_zone: 'Mars/Olympus', checkpoints: cps }, 'cps.json')).toThrow(
      'cps.json: invalid checkpoint registry:\n  time_zone: expected an IANA time zone such as "Asia/Shanghai", got "Mars/Olympus"',
    );
    expect(() => functionsFor(null, 'Mars/Olympus')).toThrow(
      "unknown time zone 'Mars/Olympus': use an IANA name such as Asia/Shanghai, UTC or an offset such as +08:00",
    );
  });
});
