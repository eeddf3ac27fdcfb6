import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { parseRuleFile } from '../../src/dsl/rules/rule-file.js';

function ruleErrors(source: string): string[] {
  return parseRuleFile(source, 'rules/x.yaml').errors.map((e) => formatDslError(e, source));
}

describe('non-finite numbers', () => {
  for (const [spelled, shown] of [
    ['.nan', '.nan'],
    ['.NaN', '.NaN'],
    ['-.inf', '-.inf'],
    ['.inf', '.inf'],
    ['1e400', '1e400'],
  ] as const) {
    test(`a rule parameter ${spelled} is refused with its key path`, () => {
      const source = `id: r1\npattern: p\nparams:\n  max_speed_kmh: ${spelled}\n`;
      expect(ruleErrors(source)).toEqual([
        `rules/x.yaml:4:18: params.max_speed_kmh: expected a finite number, got ${shown}\n  max_speed_kmh: ${spelled}\n                 ^`,
      ]);
    });
  }

  test('a finite parameter still passes', () => {
    expect(ruleErrors('id: r1\npattern: p\nparams:\n  max_speed_kmh: 1e3\n  gap: 5m\n')).toEqual([]);
  });

  test('a suppression period that overflows is refused', () => {
    expect(ruleErrors('id: r1\npattern: p\nsuppress:\n  key: plate\n  for: .inf\n')[0]?.split('\n')[0]).toBe(
      'rules/x.yaml:5:8: suppress.for: expected a positive duration such as 30m',
    );
  });

  test('a pattern parameter default or literal that overflows is refused where it is written', () => {
    const source = 'source passes event time ts\npattern p(max_speed = 1e400) from passes\n  define a as speed > 1e999\n  match a';
    const parsed = parseProgram(source, 'p.pattern');
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(checkProgram(parsed.program).errors.map((e) => formatDslError(e, source).split('\n')[0])).toEqual([
      'p.pattern:2:23: this number is too large (not a finite number)',
      'p.pattern:3:23: this number is too large (not a finite number)',
    ]);
  });
});
