/**
 * The manual cannot drift from the product: docs/language.md's function reference equals what the function tables
 * generate, every example in it compiles, and docs/cli.md describes exactly the flags of each command's usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_DOCS } from '../../src/app/function-docs.js';
import {
  BEGIN_MARKER,
  END_MARKER,
  functionTables,
  referenceEntries,
  regenerateLanguageDoc,
  renderReference,
  spliceReference,
} from '../../src/app/function-reference.js';
import { defaultPaths, functionsFor, loadRegistry, lookupSignatures } from '../../src/app/index.js';
import { commandNames } from '../../src/cli/main.js';
import { builtinFunctions, compileSources } from '../../src/dsl/index.js';
import { TRAFFIC_RECORD_SCHEMA } from '../../src/traffic/index.js';
import { vigil } from '../cli/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

describe('docs/language.md function reference', () => {
  it('is what `npm run docs:functions` generates from the function tables', () => {
    const doc = read('docs/language.md');
    expect(doc, 'docs/language.md is out of date: run `npm run docs:functions`').toBe(regenerateLanguageDoc(doc));
  });

  it('lists every function and lookup of the tables, with its table signature', () => {
    const doc = read('docs/language.md');
    const tables = functionTables();
    for (const name of [...tables.domain.names(), ...tables.lookups.names()]) expect(doc).toContain(`| \`${name}(`);
    expect(doc).toContain('| `round(x: number, digits: number?) -> number');
    expect(doc).toContain('| `distance_km(cp1: string, cp2: string) -> number` |');
  });

  it('fails on a function the tables have and the docs do not, and on a doc for a function that is gone', () => {
    const builtins = builtinFunctions().register({ name: 'hour_of_day', params: ['timestamp'], minArgs: 1, maxArgs: 1, returns: 'number', impl: () => 0 });
    const domain = functionsFor(loadRegistry(defaultPaths.checkpoints));
    domain.register({ name: 'hour_of_day', params: ['timestamp'], minArgs: 1, maxArgs: 1, returns: 'number', impl: () => 0 });
    const { problems } = referenceEntries({ builtins, domain, lookups: lookupSignatures() });
    expect(problems).toEqual([expect.stringMatching(/^hour_of_day: no entry in src\/app\/function-docs\.ts/)]);

    const without = builtinFunctions();
    const gone = referenceEntries({ builtins: without, domain: builtinFunctions(), lookups: lookupSignatures() });
    expect(gone.problems).toContain('distance_km: documented in src/app/function-docs.ts but in no function table');
  });

  it('regenerates only between its markers', () => {
    const section = renderReference([]);
    const doc = `before\n${BEGIN_MARKER}\nold\n${END_MARKER}\nafter\n`;
    expect(spliceReference(doc, section)).toBe(`before\n${section}\nafter\n`);
    expect(() => spliceReference('no markers', section)).toThrow(/markers/);
  });

  it('has examples that compile against the traffic schema', () => {
    const registry = loadRegistry(defaultPaths.checkpoints);
    for (const [name, doc] of Object.entries(FUNCTION_DOCS)) {
      const body = doc.example.startsWith('enrich ')
        ? `stream t = from s\n  ${doc.example}\n`
        : `pattern p\n  from s\n  key by plate\n  define b as (${doc.example}) == (${doc.example})\n  match a next b\n`;
      const source = `source s\n  event time ts\n\n${body}`;
      const r = compileSources([{ file: `${name}.pattern`, source }], {
        functions: functionsFor(registry),
        lookups: lookupSignatures(),
        schema: TRAFFIC_RECORD_SCHEMA,
      });
      expect(
        r.errors.map((e) => e.message),
        `${name}: ${doc.example}`,
      ).toEqual([]);
    }
  });
});

describe('docs/cli.md', () => {
  const doc = read('docs/cli.md');
  /** The part of the page about one command: from its heading to the next. */
  const section = (name: string): string => {
    return doc.split(/^## /m).find((s) => s.startsWith(`\`vigil ${name}\``) || s.startsWith(`\`vigil ${name} `)) ?? '';
  };
  const flags = (text: string): Set<string> => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => f !== '--help'));

  it.each(commandNames)('describes every flag of `vigil %s --help`, and no flag it does not take', async (name) => {
    const help = await vigil([name, '--help']);
    expect(help.code).toBe(0);
    const text = section(name);
    expect(text, `docs/cli.md has no section for vigil ${name}`).not.toBe('');
    const usage = flags(help.out.split('\n\n')[0] ?? '');
    const tables = flags(
      text
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .join('\n'),
    );
    expect(
      [...usage].filter((f) => !tables.has(f)),
      `flags of vigil ${name} missing from docs/cli.md`,
    ).toEqual([]);
    expect(
      [...tables].filter((f) => !usage.has(f)),
      `flags in docs/cli.md that vigil ${name} does not take`,
    ).toEqual([]);
  });
});

describe('the repository carries its documentation', () => {
  it('links only to files that exist in the repository', () => {
    for (const page of ['README.md', 'docs/cli.md', 'docs/formats.md', 'docs/language.md', 'docs/operations.md', 'docs/design.md']) {
      const text = read(page);
      const dir = page.includes('/') ? page.slice(0, page.lastIndexOf('/')) : '.';
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue;
        expect(() => readFileSync(join(root, dir, target)), `${page} links to ${target}`).not.toThrow();
      }
    }
  });
});
