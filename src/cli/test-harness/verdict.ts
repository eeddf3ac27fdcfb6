/** Turns expected and actual outputs into a verdict with a readable plain-text diff. */
import { align, differences, project, show } from './compare.js';
import type { ActualOutputs } from './run-case.js';
import type { Category, ExpectedList, TestCase } from './test-file.js';

export interface Verdict {
  readonly ok: boolean;
  /** Plain-text lines, one block per output category that disagrees. */
  readonly diff: readonly string[];
}

const LABEL: Record<string, string> = {
  matches: 'match',
  timeouts: 'timeout',
  alerts: 'alert',
  late: 'late record',
  dead_letters: 'dead letter',
};

function label(category: Category): string {
  return LABEL[category] ?? `${category.slice('stream:'.length)} record`;
}

function title(category: Category): string {
  return category.startsWith('stream:') ? `streams.${category.slice('stream:'.length)}` : category;
}

export function judge(tc: TestCase, actual: ActualOutputs): Verdict {
  const diff: string[] = [];
  for (const [category, expected] of tc.expect.lists) {
    diff.push(...compareList(category, expected, actual.get(category) ?? [], tc.expect.order));
  }
  return { ok: diff.length === 0, diff };
}

function compareList(category: Category, expected: ExpectedList, actual: readonly unknown[], order: 'strict' | 'any'): string[] {
  if (expected.mode === 'count') {
    if (actual.length === expected.count) return [];
    const lines = [`${title(category)}: expected ${count(expected.count ?? 0, label(category))}, got ${actual.length}`];
    actual.slice(0, 5).forEach((x, j) => {
      lines.push(`    actual[${j}]: ${show(x)}`);
    });
    if (actual.length > 5) lines.push(`    ... and ${actual.length - 5} more`);
    return lines;
  }
  const want = expected.items.map((i) => i.value);
  const a = align(want, actual, order);
  const name = title(category);
  const what = label(category);
  if (expected.mode === 'contains') {
    // Extra output is fine; only expected items with no agreeing output are reported, next to what there is.
    const missing = [...a.missing, ...a.changed.map(([i]) => i)].sort((x, y) => x - y);
    if (missing.length === 0) return [];
    const lines = [
      `${name}: ${missing.length} of the ${count(want.length, what)} expected among the output ${missing.length === 1 ? 'is' : 'are'} not there (${actual.length} in the output)`,
    ];
    for (const i of missing) {
      lines.push(`  missing: the ${what} at line ${expected.items[i]?.pos.line ?? '?'}`, `    expected: ${show(want[i])}`);
      actual.slice(0, 5).forEach((x, j) => {
        lines.push(`    actual[${j}]: ${show(project(want[i], x))}`);
      });
      if (actual.length > 5) lines.push(`    ... and ${actual.length - 5} more`);
    }
    return lines;
  }
  if (a.changed.length === 0 && a.missing.length === 0 && a.unexpected.length === 0) return [];
  const lines: string[] = [`${name}: expected ${count(want.length, what)}, got ${actual.length}${order === 'any' ? ' (in any order)' : ''}`];
  // Report in expected order, then the unexpected ones in output order.
  const rows: Array<{ at: number; text: string[] }> = [];
  for (const [i, j] of a.changed) {
    const item = expected.items[i];
    const text = [`  ${name}[${j}] differs from the expected ${what} at line ${item?.pos.line ?? '?'}:`];
    for (const d of differences(want[i], actual[j], '')) text.push(`      ${d}`);
    text.push(`    expected: ${show(want[i])}`, `    actual:   ${show(project(want[i], actual[j]))}`);
    rows.push({ at: i, text });
  }
  for (const i of a.missing) {
    const item = expected.items[i];
    rows.push({ at: i, text: [`  missing: the expected ${what} at line ${item?.pos.line ?? '?'} has no counterpart`, `    expected: ${show(want[i])}`] });
  }
  rows.sort((x, y) => x.at - y.at);
  for (const r of rows) lines.push(...r.text);
  for (const j of a.unexpected) lines.push(`  unexpected ${name}[${j}]:`, `    actual:   ${show(actual[j])}`);
  if (want.length === 0) lines[0] += ' (the test asserts there is none)';
  return lines;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : what.endsWith('ch') ? 'es' : 's'}`;
}
