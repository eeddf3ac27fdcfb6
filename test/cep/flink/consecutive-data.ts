// Flink's ConsecutiveData fixture (shared by TimesOrMoreITCase and TimesRangeITCase) and the pattern shapes both
// suites build on it: `start (c) <contiguity> middle (a)`, then `followedBy end1 (b)`.
import { byName, type Event, ev, Pattern, type Timed } from './harness.js';

export const s = ev(40, 'c', 1.0);
export const m1 = ev(41, 'a', 2.0);
export const m2 = ev(42, 'a', 3.0);
export const m3 = ev(43, 'a', 4.0);
export const end = ev(44, 'b', 5.0);

/** c f a1 f a2 a3 b */
export const withGaps = (): Timed[] => [
  [s, 1],
  [ev(23, 'f', 1.0), 2],
  [m1, 3],
  [ev(23, 'f', 1.0), 4],
  [m2, 5],
  [m3, 6],
  [end, 7],
];

export const cThen = (contiguity: 'next' | 'followedBy' | 'followedByAny'): Pattern<Event> => {
  const start = Pattern.begin<Event>('start').where(byName('c'));
  const p = contiguity === 'next' ? start.next('middle') : contiguity === 'followedBy' ? start.followedBy('middle') : start.followedByAny('middle');
  return p.where(byName('a'));
};

export const thenB = (p: Pattern<Event>): Pattern<Event> => p.followedBy('end1').where(byName('b'));
