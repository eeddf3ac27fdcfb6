import type { GroundTruth } from './truth.js';

/** Ground truth as JSON with one array element per line: diffable, and still quick to write for a day of traffic. */
export function formatTruth(truth: GroundTruth): string {
  const lines: string[] = ['{'];
  const keys = Object.keys(truth) as (keyof GroundTruth)[];
  keys.forEach((key, k) => {
    const comma = k < keys.length - 1 ? ',' : '';
    const value = truth[key];
    if (key === 'noise') {
      const noise = truth.noise;
      const nk = Object.keys(noise) as (keyof GroundTruth['noise'])[];
      lines.push(`  "noise": {`);
      nk.forEach((n, j) => {
        lines.push(`    ${JSON.stringify(n)}: ${list(noise[n], '      ', '    ')}${j < nk.length - 1 ? ',' : ''}`);
      });
      lines.push(`  }${comma}`);
    } else if (Array.isArray(value)) {
      lines.push(`  ${JSON.stringify(key)}: ${list(value, '    ', '  ')}${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
    }
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

function list(items: readonly unknown[], indent: string, closeIndent: string): string {
  if (items.length === 0) return '[]';
  return '[\n' + items.map((x) => indent + JSON.stringify(x)).join(',\n') + '\n' + closeIndent + ']';
}
