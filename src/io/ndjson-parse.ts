import type { ParseContext } from '../core/index.js';

/**
 * Parses one NDJSON line: a JSON object is a record, `{"$watermark": ms}` is an explicit watermark, a blank line is
 * skipped, anything else is a dead letter with the reason.
 */
export function parseNdjsonLine(line: string, ctx: ParseContext<Record<string, unknown>>): void {
  if (line.length === 0 || isBlank(line)) return;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    ctx.deadLetter(`invalid JSON: ${(error as Error).message}`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.deadLetter(`expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
    return;
  }
  const record = value as Record<string, unknown>;
  if ('$watermark' in record) {
    const wm = record['$watermark'];
    if (typeof wm === 'number' && Number.isFinite(wm)) ctx.watermark(wm);
    else ctx.deadLetter(`$watermark must be a finite number of epoch ms, got ${JSON.stringify(wm)}`);
    return;
  }
  ctx.record(record);
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
