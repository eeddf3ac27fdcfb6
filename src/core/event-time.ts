import type { EventTimeSpec } from './graph.js';
import { describeBadEventTime, parseEventTime } from './time.js';

/** Event time read from a field holding epoch ms or an ISO-8601 string. */
export function eventTimeField<T extends Readonly<Record<string, unknown>>>(field: string): EventTimeSpec<T> {
  return {
    extract: (value) => parseEventTime(value[field]),
    describe: (value) => describeBadEventTime(field, value[field]),
  };
}
