/**
 * Plain objects whose fields V8 keeps inside the object.
 *
 * An object made by `{}` has room for four fields; a fifth and later go to a separate backing array. A record
 * built field by field (a parsed line, an enriched copy, a projection) then costs two objects instead of one, and
 * reading `checkpoint` or `ts` off a record held for minutes is one more cache miss. Objects made by `new` on a
 * constructor are sized by V8's slack tracking to the fields their first instances receive, so a factory per
 * record shape gives one-object records. The constructor's prototype is Object.prototype: the records are
 * indistinguishable from object literals (prototype, `constructor`, JSON, spread).
 */
export type PlainRecordFactory = () => Record<string, unknown>;

export function plainRecordFactory(): PlainRecordFactory {
  // A fresh function per factory: each gets its own initial map and so its own size, learned from its own shape.
  const Plain = function (this: Record<string, unknown>): void {} as unknown as new () => Record<string, unknown>;
  Plain.prototype = Object.prototype;
  return () => new Plain();
}
