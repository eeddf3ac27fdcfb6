import { thousands } from './summary.js';
import type { TimeZone } from './time-zone.js';

/** What the report needs of a rule. */
export interface ReportedRule {
  readonly id: string;
  readonly severity: string;
  readonly description: string;
}

interface AlertLine {
  readonly rule?: unknown;
  readonly severity?: unknown;
  readonly key?: unknown;
  readonly event_time?: unknown;
  readonly payload?: unknown;
}

/** Rows shown on a terminal before the report says where the rest is. */
export const MAX_ROWS = 100;

/**
 * Collects `vigil run`'s alert NDJSON and renders it for a person at a terminal: alerts per rule (every enabled rule,
 * those with none too), then one row per alert in event-time order with the time in the city's zone, then where to
 * look next. Machine output stays NDJSON (`--format ndjson`, or any stdout that is not a terminal).
 */
export class AlertReport {
  private readonly alerts: AlertLine[] = [];
  private partial = '';

  /** Takes stdout text as the run writes it (whole NDJSON lines, possibly several per call). */
  readonly write = (text: string): void => {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (line !== '') this.alerts.push(JSON.parse(line) as AlertLine);
  };

  render(rules: readonly ReportedRule[], zone: TimeZone, input: string): string {
    const counts = new Map<string, number>();
    for (const a of this.alerts) counts.set(String(a.rule), (counts.get(String(a.rule)) ?? 0) + 1);
    const out: string[] = [];
    out.push(`Alerts from ${input}, times in ${zone.label}`, '');
    const ruleIds = [...new Set([...rules.map((r) => r.id), ...counts.keys()])];
    const severity = new Map(rules.map((r) => [r.id, r.severity]));
    const description = new Map(rules.map((r) => [r.id, r.description]));
    out.push(
      ...table(
        ['rule', 'severity', 'alerts', 'what it finds'],
        ruleIds.map((id) => [id, severity.get(id) ?? '', thousands(counts.get(id) ?? 0), firstSentence(description.get(id) ?? '')]),
        [false, false, true, false],
      ),
    );
    out.push('');
    const sorted = [...this.alerts].sort((a, b) => Number(a.event_time) - Number(b.event_time));
    if (sorted.length === 0) out.push('No alerts.');
    else {
      const shown = sorted.slice(0, MAX_ROWS);
      out.push(
        ...table(
          [`time (${zone.label})`, 'rule', 'severity', 'key', 'details'],
          shown.map((a) => [
            typeof a.event_time === 'number' ? zone.format(a.event_time) : '?',
            String(a.rule),
            String(a.severity),
            String(a.key),
            details(a.payload, zone),
          ]),
          [false, false, false, false, false],
        ),
      );
      if (sorted.length > shown.length) out.push(`... and ${thousands(sorted.length - shown.length)} more (all of them: --out FILE or --format ndjson)`);
    }
    out.push(
      '',
      'Next:',
      '  every alert with its evidence, as NDJSON:  add --out alerts.ndjson, or pipe the output (vigil run ... | jq)',
      '  what was refused and why:                 --dead-letter dlq.ndjson, --late late.ndjson',
      '  the rules and their thresholds:           rules/*.yaml and patterns/*.pattern (vigil check after a change)',
      '  the manual:                               docs/cli.md, docs/language.md',
    );
    return out.join('\n') + '\n';
  }
}

/** A payload's scalar fields as `k=v`, plates and colours left out (the key has them), cut to fit a line. */
function details(payload: unknown, zone: TimeZone): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(payload as Record<string, unknown>)) {
    if (k === 'plate' || k === 'plate_color' || typeof v === 'object') continue;
    // Epoch-ms times (`first_ts`, `since_at`) read as clock times in the city's zone.
    const time = typeof v === 'number' && v > 1e11 && /(_ts|_at|_time)$/.test(k) ? zone.format(v).slice(11) : null;
    parts.push(`${k}=${time ?? String(v)}`);
  }
  const text = parts.join(' ');
  return text.length > 90 ? `${text.slice(0, 89)}…` : text;
}

function firstSentence(text: string): string {
  const s = text.split(/(?<=\.)\s/)[0] ?? '';
  return s.length > 70 ? `${s.slice(0, 69)}…` : s;
}

/** Display width: CJK characters (plates) take two columns on a terminal. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - width(c));
        return right[i] === true ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}
