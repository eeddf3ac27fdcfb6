import { describe, expect, it } from 'vitest';
import { deadLetterReasonLabel } from '../../src/app/service/dead-letter-reason.js';

describe('deadLetterReasonLabel', () => {
  it("labels a reason by the validator's code or the parser's kind, never by its text", () => {
    expect(deadLetterReasonLabel('unknown_checkpoint: CP9999 is not in the registry')).toBe('unknown_checkpoint');
    expect(deadLetterReasonLabel("source 'passes': bad_plate: '??' is not a plate")).toBe('bad_plate');
    expect(deadLetterReasonLabel('invalid JSON: Unexpected token o in JSON at position 20')).toBe('invalid_json');
    expect(deadLetterReasonLabel('expected a JSON object, got an array')).toBe('not_object');
    expect(deadLetterReasonLabel('$watermark must be a finite number of epoch ms, got "x"')).toBe('bad_watermark');
    // A code-like prefix that is no rejection code does not become a label.
    expect(deadLetterReasonLabel('plate_abc123: whatever')).toBe('other');
    expect(deadLetterReasonLabel('')).toBe('other');
  });
});
