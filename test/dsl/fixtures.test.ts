import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, type Program, parseProgram, printProgram } from '../../src/dsl/index.js';
import { fixtureFiles, lookups, stripPositions, trafficFunctions } from './helpers.js';

const files = fixtureFiles();

describe('the examples of docs/language.md', () => {
  test('there are fixtures, including the contract example', () => {
    expect(files.map((f) => f.file)).toContain('contract-example.pattern');
  });

  for (const { file, source } of files) {
    test(`${file} parses (exactly one parse) and checks clean`, () => {
      const parsed = parseProgram(source, file);
      if (!parsed.ok) throw new Error(formatDslError(parsed.error, source));
      const checked = checkProgram(parsed.program, { functions: trafficFunctions(), lookups: lookups() });
      expect(checked.errors.map((e) => formatDslError(e, source))).toEqual([]);
      expect(checked.program).not.toBeNull();
    });

    test(`${file} prints back to the same AST`, () => {
      const parsed = parseProgram(source, file);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const again = parseProgram(printProgram(parsed.program), file);
      if (!again.ok) throw new Error(`${again.error.message}\n${printProgram(parsed.program)}`);
      expect(stripPositions(again.program)).toEqual(stripPositions(parsed.program));
    });
  }

  test('all fixtures check together as one program only if names do not clash', () => {
    const programs: Program[] = [];
    for (const { file, source } of files) {
      const parsed = parseProgram(source, file);
      if (parsed.ok) programs.push(parsed.program);
    }
    const checked = checkProgram(programs, { functions: trafficFunctions(), lookups: lookups() });
    // Each fixture declares its own `passes`: across files that is a duplicate, reported once per extra file.
    const dups = checked.errors.filter((e) => e.message.startsWith("'passes' is already declared"));
    expect(dups.length).toBe(files.filter((f) => /^source passes/m.test(f.source)).length - 1);
  });
});
