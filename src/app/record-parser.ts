import { dirname, resolve } from 'node:path';
import type { Deserializer, ParseContext } from '../core/index.js';
import type { CheckedProgram } from '../dsl/index.js';
import { defaultPaths } from './program.js';
import { parseDecoded, parseFlatObject, parseNdjsonBytes } from '../io/ndjson-bytes.js';
import { type CheckpointRegistry, RecordValidator, isRejection } from '../traffic/index.js';

/**
 * The source whose records are traffic captures: validated and normalised (plate_readable, ts in ms) as `vigil run`
 * does. Until a source declares this itself, the traffic feed is the shipped one: the `passes` source of the shipped
 * patterns/ folder (a user's own `passes` elsewhere, such as the language contract's example, is an open source).
 */
export const TRAFFIC_SOURCE = 'passes';

/** Whether a program reads the traffic feed, so its records are validated as `vigil run` validates them. */
export function readsTrafficFeed(program: CheckedProgram, cwd: string): boolean {
  for (const [name, source] of program.sources) {
    if (name === TRAFFIC_SOURCE && dirname(resolve(cwd, source.decl.pos.file)) === defaultPaths.patterns) return true;
  }
  return false;
}

/** Domain validation of a parsed record: null to accept (normalised in place), or the reason to dead-letter it. */
export type RecordCheck = (record: Record<string, unknown>, watermark: number) => string | null;

/** The traffic record check of `vigil run`: schema, plate normalisation, known checkpoint, time bounds. */
export function trafficCheck(registry: CheckpointRegistry): RecordCheck {
  const validator = new RecordValidator(registry);
  return (record, watermark) => {
    const r = validator.validate(record, watermark);
    return isRejection(r) ? `${r.code}: ${r.detail}` : null;
  };
}

export interface RecordParserOptions {
  /** Validation; without it every JSON object is a record (`vigil match`). */
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
  const { check, watermark, control } = options;
  // The validating context wraps the task's parse context; built once per context, not per record.
  let wrapped: { inner: ParseContext<Record<string, unknown>>; outer: ParseContext<Record<string, unknown>> } | undefined;
  const validating = (ctx: ParseContext<Record<string, unknown>>, check: RecordCheck): ParseContext<Record<string, unknown>> => {
    if (wrapped?.inner !== ctx) {
      wrapped = {
        inner: ctx,
        outer: {
          record: (r) => {
            const reason = check(r, watermark());
            if (reason === null) ctx.record(r);
            else ctx.deadLetter(reason);
          },
          watermark: (ts) => ctx.watermark(ts),
          deadLetter: (reason) => ctx.deadLetter(reason),
        },
      };
    }
    return wrapped.outer;
  };
  return (line, ctx) => {
    if (control !== undefined && line.startsWith(control.prefix)) return control.handle(line);
    if (check === undefined) return parseNdjsonBytes(line, ctx);
    const record = parseFlatObject(line);
    if (record === undefined) return parseDecoded(line, validating(ctx, check));
    const reason = check(record, watermark());
    if (reason === null) ctx.record(record);
    else ctx.deadLetter(reason);
  };
}
