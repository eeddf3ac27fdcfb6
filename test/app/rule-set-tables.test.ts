/**
 * Table files in a service's rule set: read from the folders (and part of the set's version and the rules'
 * fingerprints), carried as texts to the group's other processes, refused in texts sent over the API.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgramErrors } from '../../src/app/errors.js';
import { defaultPaths, type LoadedProgram, loadRegistry } from '../../src/app/program.js';
import { loadRuleSetFromDisk, loadRuleSetFromText, ruleFingerprints, ruleSetVersion } from '../../src/app/service/rule-set.js';
import { ruleSetText } from '../../src/app/service/rule-sync.js';
import { tempDir } from '../cli/helpers.js';

const registry = loadRegistry(defaultPaths.checkpoints);
const PATTERN = `source s
  event time ts

table names = file "../data/names.json" at "names"

pattern named
  from s
  key by k
  define a as lookup(names, k) == "Hangzhou"
  match a
  emit { k: a.k }
`;

function folders(names: Record<string, string>): { root: string; paths: { patterns: string; rules: string } } {
  const root = tempDir({
    'patterns/t.pattern': PATTERN,
    'rules/named.yaml': 'id: named\npattern: named\n',
    'data/names.json': JSON.stringify({ _about: 'test', names }),
  });
  return { root, paths: { patterns: join(root, 'patterns'), rules: join(root, 'rules') } };
}

/** The value the program's one lookup table gives for `key`. */
function tableValue(loaded: LoadedProgram, key: string): unknown {
  const tables = [...loaded.program.tableLookups.values()];
  expect(tables).toHaveLength(1);
  return tables[0]?.get(key);
}

const errorsOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (error) {
    if (error instanceof ProgramErrors) return error.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
    throw error;
  }
  return [];
};

describe('table files in a rule set', () => {
  it('are read from the folders; a changed file is a new version and changes the rules of the pattern file that reads it', () => {
    const { root, paths } = folders({ 浙A: 'Hangzhou' });
    const a = loadRuleSetFromDisk(paths, registry, root);
    expect(a.tableTexts).toEqual([{ pattern: 't.pattern', path: '../data/names.json', text: JSON.stringify({ _about: 'test', names: { 浙A: 'Hangzhou' } }) }]);
    expect(tableValue(a, '浙A')).toBe('Hangzhou');
    expect(ruleSetVersion(loadRuleSetFromDisk(paths, registry, root))).toBe(ruleSetVersion(a));

    writeFileSync(join(root, 'data', 'names.json'), JSON.stringify({ names: { 浙A: 'Hangzhou 杭州' } }));
    const b = loadRuleSetFromDisk(paths, registry, root);
    expect(tableValue(b, '浙A')).toBe('Hangzhou 杭州');
    expect(ruleSetVersion(b)).not.toBe(ruleSetVersion(a));
    expect(ruleFingerprints(b).get('named')).not.toBe(ruleFingerprints(a).get('named'));
  });

  it("another process's set reads the texts it carries, not the disk; without them it cannot read the file", () => {
    const { root, paths } = folders({ 浙A: 'Hangzhou' });
    const here = loadRuleSetFromDisk(paths, registry, root);
    const carried = { ...ruleSetText(here), tables: here.tableTexts };
    rmSync(join(root, 'data'), { recursive: true });
    const there = loadRuleSetFromText(carried, here, registry);
    expect(tableValue(there, '浙A')).toBe('Hangzhou');
    expect(ruleSetVersion(there)).toBe(ruleSetVersion(here));
    // A rules-only change on that process reads the same carried texts again.
    expect(tableValue(loadRuleSetFromText({ rules: carried.rules }, there, registry), '浙A')).toBe('Hangzhou');
    expect(errorsOf(() => loadRuleSetFromText({ ...carried, tables: [] }, here, registry))).toEqual([
      "patterns/t.pattern:4:20: cannot read the table file '../data/names.json': the rule set carries no copy of it",
    ]);
  });

  it('pattern texts sent over the API read no table file, even one that exists', () => {
    const { root, paths } = folders({ 浙A: 'Hangzhou' });
    const here = loadRuleSetFromDisk(paths, registry, root);
    const { rules, patterns } = ruleSetText(here);
    expect(errorsOf(() => loadRuleSetFromText({ rules, patterns }, here, registry))).toEqual([
      "patterns/t.pattern:4:20: cannot read the table file '../data/names.json': pattern files sent over the API cannot read table files; declare the table inline",
    ]);
  });
});
