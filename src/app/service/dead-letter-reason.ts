/** Dead letters by reason for /metrics: a reason is free text, its label one of a few fixed words. */
import type { RejectionCode } from '../../traffic/index.js';

const REJECTION_CODES: ReadonlySet<string> = new Set<RejectionCode>([
  'not_object',
  'missing_field',
  'bad_type',
  'unknown_checkpoint',
  'bad_plate',
  'bad_plate_color',
  'bad_ts',
  'future_ts',
  'bad_speed',
  'bad_lane',
  'bad_confidence',
]);

/**
 * The validator's code (`unknown_checkpoint: CP9999 ...`), else the parser's kind of refusal, else `other`: never
 * the text itself, which would make a label value per record.
 */
export function deadLetterReasonLabel(reason: string): string {
  const text = reason.replace(/^source '[^']*': /, '');
  const code = /^([a-z_]+):/.exec(text)?.[1];
  if (code !== undefined && REJECTION_CODES.has(code)) return code;
  if (text.startsWith('invalid JSON')) return 'invalid_json';
  if (text.startsWith('expected a JSON object')) return 'not_object';
  if (text.startsWith('$watermark')) return 'bad_watermark';
  return 'other';
}
