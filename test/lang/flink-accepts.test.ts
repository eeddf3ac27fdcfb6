/** What Flink accepts, Vigil accepts too: dubious constructs are lint warnings, clause order errors say the order. */
import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { lintProgram } from '../../src/dsl/lint.js';
import { m, runFiles, T0 } from '../dsl-run/helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n';

function lint(text: string): string[] {
  const source = SOURCE + text;
  const parsed = parseProgram(source, 'p.pattern');
  if (!parsed.ok) throw new Error(formatDslError(parsed.error, source));
  const checked = checkProgram(parsed.program);
  if (checked.program === null) throw new Error(checked.errors.map((e) => formatDslError(e, source)).join('\n'));
  return lintProgram(checked.program)
    .filter((w) => w.code === 'aggregate-of-one-event' || w.code === 'only-optional-terms')
    .map((w) => `${w.line}:${w.col}: ${w.message}`);
}

describe('accepted with a warning', () => {
  test('an aggregate over a variable that matches at most one event', () => {
    expect(lint('pattern p from passes match a followed by b? within 1m emit { s: first(a.price), t: sum(b.speed), n: count(a), k: count(b) }\n')).toEqual([
      "4:66: first(a.price) is a.price: 'a' matches at most one event",
      "4:85: sum(b.speed) is b.speed: 'b' matches at most one event",
      "4:102: count(a) is always 1: 'a' matches exactly one event",
    ]);
    expect(lint('pattern p from passes match a+ followed by b within 1m emit { s: first(a.price), n: count(a) }\n')).toEqual([]);
  });

  test('a pattern whose only term is optional', () => {
    expect(lint('pattern p from passes match start+? within 1m\n')).toEqual([
      '4:29: every term of this pattern is optional; a match still needs one event, so it matches as if the first term that takes an event were mandatory',
    ]);
    expect(lint('pattern p from passes match a? followed by b* within 1m\n')).toHaveLength(1);
    expect(lint('pattern p from passes match a? followed by b within 1m\n')).toEqual([]);
  });

  test('and it runs: `start+?` matches each run of events, never an empty match', async () => {
    const r = await runFiles({
      patterns: {
        'p.pattern': `${SOURCE}pattern p from passes key by plate define start as speed > 50 match start+? within 10m emit { n: count(start), f: first(start.speed) }\n`,
      },
      input: [
        { plate: 'A', checkpoint: 'CP0001', speed: 60, ts: T0 },
        { plate: 'A', checkpoint: 'CP0001', speed: 10, ts: T0 + m(1) },
        { plate: 'A', checkpoint: 'CP0001', speed: 70, ts: T0 + m(2) },
      ],
      schema: false,
    });
    const matches = r.outputs.filter((o) => 'match' in o).map((o) => (o['match'] as Record<string, { speed: number }[]>)['start']?.map((e) => e.speed));
    expect(matches).toEqual([[60], [60, 70], [70]]);
  });
});

describe('clause order', () => {
  const ORDER =
    "a pattern's clauses come in this order: from, key by, let, define, match, within, after match, allowed lateness, late into, emit " +
    "(and 'on timeout emit', before or after 'emit'), each at most once";
  const error = (text: string): string => {
    const parsed = parseProgram(SOURCE + text, 'p.pattern');
    return parsed.ok ? 'ok' : `${parsed.error.line}:${parsed.error.col}: ${parsed.error.message}`;
  };

  test("'emit' and 'on timeout emit' in either order", () => {
    expect(error('pattern p from passes match a within 1m on timeout emit { y: 1 } emit { x: 1 }\n')).toBe('ok');
  });

  test('a clause out of order says the order', () => {
    expect(error('pattern p from passes match a emit { x: 1 } within 1m\n')).toBe(
      `4:45: expected a new declaration ('source', 'stream' or 'pattern') or 'on' after '}', found 'within'; ${ORDER}`,
    );
    expect(error('pattern p from passes define a as true key by plate match a\n')).toBe(`4:44: expected 'as' after 'key', found 'by'; ${ORDER}`);
    expect(error('pattern p from passes match a emit { x: 1 } emit { y: 1 }\n')).toBe(
      `4:45: expected a new declaration ('source', 'stream' or 'pattern') or 'on' after '}', found 'emit'; ${ORDER}`,
    );
  });

  test('a stream gets no pattern hint', () => {
    expect(error('stream s = from passes select * where speed > 1\n')).not.toContain('come in this order');
  });
});
