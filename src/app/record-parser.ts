import type { Deserializer, ParseContext } from '../core/index.js';
import { parseDecoded, parseFlatObject, parseNdjsonBytes } from '../io/ndjson-bytes.js';
import { type CheckpointRegistry, isRejection, RecordValidator, type ValidatorOptions } from '../traffic/index.js';

/** Domain validation of a parsed record: null to accept (normalised in place), or the reason to dead-letter it. */
export type RecordCheck = (record: Record<string, unknown>, watermark: number) => string | null;

/** The traffic record check of `vigil run`: schema, plate normalisation, known checkpoint, time bounds. */
export function trafficCheck(registry: CheckpointRegistry, options: ValidatorOptions = {}): RecordCheck {
  const validator = new RecordValidator(registry, options);
  return (record, watermark) => {
    const r = validator.validate(record, watermark);
    return isRejection(r) ? `${r.code}: ${r.detail}` : null;
  };
}

export interface RecordParserOptions {
  /** The source's feed mapping (renames, value maps, zone-less times), applied before the check. */
  readonly map?: (record: Record<string, unknown>) => Record<string, unknown>;
  /** Validation; without it every JSON object is a record (`vigil match`, open sources). */
  readonly check?: RecordCheck;
  /** The task's watermark when a record is checked (a record far ahead of it is refused as future_ts). */
  readonly watermark: () => number;
  /** Lines this prefix starts are not records: `control` handles them (the test harness's `$clock`). */
  readonly control?: { readonly prefix: string; readonly handle: (line: string) => void };
}

/**
 * Byte lines (latin1 strings, one char per byte: NDJSON files and Kafka message values alike) -> records, control
 * lines (`$watermark`) or dead letters. A flat record, nearly every line, goes straight to the check; anything else
 * takes the general parser. Built once per task: nothing is allocated per record beyond the record.
 */
export function recordParser(options: RecordParserOptions): Deserializer<string, Record<string, unknown>> {
  const { map, check, watermark, control } = options;
  // One record through the mapping and the check: to the job, or to the dead letters with the check's reason.
  const accept = (input: Record<string, unknown>, ctx: ParseContext<Record<string, unknown>>): void => {
    const record = map === undefined ? input : map(input);
    const reason = check === undefined ? null : check(record, watermark());
    if (reason === null) ctx.record(record);
    else ctx.deadLetter(reason);
  };
  // The accepting context wraps the task's parse context; built once per context, not per record.
  let wrapped: { inner: ParseContext<Record<string, unknown>>; outer: ParseContext<Record<string, unknown>> } | undefined;
  const accepting = (ctx: ParseContext<Record<string, unknown>>): ParseContext<Record<string, unknown>> => {
    if (wrapped?.inner !== ctx) {
      wrapped = {
        inner: ctx,
        outer: {
          record: (r) => accept(r, ctx),
          watermark: (ts) => ctx.watermark(ts),
          deadLetter: (reason) => ctx.deadLetter(reason),
        },
      };
    }
    return wrapped.outer;
  };
  return (line, ctx) => {
    if (control !== undefined && line.startsWith(control.prefix)) return control.handle(line);
    if (check === undefined && map === undefined) return parseNdjsonBytes(line, ctx);
    const record = parseFlatObject(line);
    if (record === undefined) return parseDecoded(line, accepting(ctx));
    accept(record, ctx);
  };
}
