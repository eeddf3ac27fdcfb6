/**
 * What each function of the pattern language is for, in words, with its parameters' names and an example. The
 * signatures (types, arity, return type) are not here: they come from the function tables themselves
 * (src/dsl/functions.ts, src/traffic/functions.ts), and docs/language.md's reference is generated from both by
 * `npm run docs:functions`. A function added to a table without an entry here fails test/docs.
 */
export interface FunctionDoc {
  /** Parameter names, one per declared parameter; a variadic function's last name stands for the rest. */
  readonly params: readonly string[];
  readonly summary: string;
  /** An expression as a rule author would write it. */
  readonly example: string;
}

export const FUNCTION_DOCS: Readonly<Record<string, FunctionDoc>> = {
  abs: { params: ['x'], summary: 'The absolute value. A duration stays a duration.', example: 'abs(ts - a.ts) < 2m' },
  round: {
    params: ['x', 'digits'],
    summary: 'Rounds half away from zero (as SQL `ROUND`), to `digits` decimals (default 0; negative rounds to tens, hundreds, ...).',
    example: 'round(distance_km(a.checkpoint, checkpoint), 1)',
  },
  sqrt: {
    params: ['x'],
    summary: "The square root; null below zero. A count's Poisson spread is `sqrt(count)`.",
    example: 'speed > a.speed + 3 * sqrt(a.speed)',
  },
  floor: { params: ['x'], summary: 'The largest whole number not above `x`.', example: 'floor(speed / 10) * 10' },
  ceil: { params: ['x'], summary: 'The smallest whole number not below `x`.', example: 'ceil(minutes(ts - a.ts))' },
  min: { params: ['x', 'y', 'more'], summary: 'The smallest argument (two or more); null if any is null.', example: 'min(a.speed, b.speed)' },
  max: { params: ['x', 'y', 'more'], summary: 'The largest argument (two or more); null if any is null.', example: 'max(a.ts, b.ts) - min(a.ts, b.ts)' },
  lower: { params: ['s'], summary: 'The string in lower case.', example: 'lower(vehicle_type) == "truck"' },
  upper: { params: ['s'], summary: 'The string in upper case.', example: 'upper(plate)' },
  length: { params: ['s'], summary: 'The number of characters (code points, so `浙A12345` has 7).', example: 'length(plate) >= 7' },
  substr: {
    params: ['s', 'start', 'length'],
    summary:
      'The characters of `s` from `start` (0 is the first), `length` of them or to the end; in code points, as `length` counts. Null for a negative start or length.',
    example: 'substr(plate, 0, 1) == "浙"',
  },
  contains: { params: ['s', 'part'], summary: 'Whether `part` occurs in `s`.', example: 'contains(plate, "警")' },
  starts_with: { params: ['s', 'prefix'], summary: 'Whether `s` starts with `prefix`.', example: 'starts_with(plate, "浙A")' },
  ends_with: { params: ['s', 'suffix'], summary: 'Whether `s` ends with `suffix`.', example: 'ends_with(plate, "学")' },
  hours: { params: ['ms'], summary: 'Milliseconds (a duration) as hours.', example: 'distance_km(a.checkpoint, checkpoint) / hours(ts - a.ts) > 150' },
  minutes: { params: ['ms'], summary: 'Milliseconds (a duration) as minutes.', example: 'minutes(ts - a.ts) > 5' },
  seconds: { params: ['ms'], summary: 'Milliseconds (a duration) as seconds.', example: 'seconds(b.ts - a.ts) < 10' },
  distance_km: {
    params: ['cp1', 'cp2'],
    summary: 'The great-circle distance in km between two checkpoints of the registry; null if either is unknown.',
    example: 'distance_km(a.checkpoint, checkpoint) >= 3',
  },
  checkpoint_attr: {
    params: ['cp', 'name'],
    summary: "A field of the checkpoint's registry entry (`name`, `road`, `speed_limit`, any extra field); null when absent or not a scalar.",
    example: 'speed > checkpoint_attr(checkpoint, "speed_limit")',
  },
  segment_of: {
    params: ['cp'],
    summary: 'The road segment the checkpoint measures; null if the checkpoint is unknown.',
    example: 'segment_of(checkpoint) == segment_of(a.checkpoint)',
  },
  plate_shape: {
    params: ['plate'],
    summary:
      "The plate with every character ANPR cameras commonly confuse (0/D/Q/O, 8/B/3, 5/S, 2/Z, 1/7/I, 6/G, U/V, E/F) replaced by its group's first, so a misread has the shape of the plate it misreads.",
    example: 'plate_shape(plate) == plate_shape(a.plate) and plate != a.plate',
  },
  local_hour: {
    params: ['ts'],
    summary: "The hour of the day, 0 to 23, of a timestamp in the configured zone (`--time-zone`, else the registry's `time_zone`, else UTC).",
    example: 'local_hour(ts) >= 22 or local_hour(ts) < 6',
  },
  local_minute: {
    params: ['ts'],
    summary: 'The minute of the hour, 0 to 59, of a timestamp in the configured zone.',
    example: 'local_hour(ts) == 7 and local_minute(ts) >= 30',
  },
  local_weekday: {
    params: ['ts'],
    summary: 'The ISO day of the week of a timestamp in the configured zone: 1 is Monday, 7 is Sunday.',
    example: 'local_weekday(ts) <= 5',
  },
  local_date: {
    params: ['ts'],
    summary: 'The local calendar date, `YYYY-MM-DD`, of a timestamp in the configured zone.',
    example: 'local_date(ts) == "2026-03-02"',
  },
  timestamp: {
    params: ['x'],
    summary: 'An instant from ISO-8601 text with a zone (`Z` or `+08:00`), a date (midnight UTC) or epoch ms; so the time since it is a duration.',
    example: 'minutes(ts - timestamp("2026-03-02T00:00:00+08:00")) < 90',
  },
  next_on_segment: {
    params: ['cp'],
    summary:
      "The next camera downstream on the checkpoint's segment: the registry's `next_on_segment` where given, else the order of the segment's cameras from their positions; \"\" for the last.",
    example: 'next_on_segment(a.checkpoint) == checkpoint',
  },
  is_entry: { params: ['cp'], summary: 'Whether the checkpoint is a city-boundary entry camera (registry `kind: "entry"`).', example: 'is_entry(checkpoint)' },
  is_bus_lane: {
    params: ['cp', 'lane'],
    summary: "Whether the lane is a bus lane at the checkpoint (the registry's `bus_lanes`, a list of lane numbers); null where the registry gives none.",
    example: 'is_bus_lane(checkpoint, lane) and vehicle_type != "bus"',
  },
  first_seen: {
    params: ['key', 'more'],
    summary:
      'A lookup (only in `enrich`): true exactly for the earliest sighting, by event time, of the key its arguments form; kept in Redis under `vigil serve` and `--redis`, in memory otherwise.',
    example: 'enrich is_new = first_seen(plate, plate_color)',
  },
};
