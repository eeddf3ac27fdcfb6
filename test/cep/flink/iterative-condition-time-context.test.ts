// Conformance case re-expressed from Apache Flink's NFAIterativeConditionTimeContextTest
// (flink-cep, org.apache.flink.cep.nfa): a condition sees the timestamp of the event under test
// (Flink: Context.timestamp(); here MatchContext.timestamp).
//
// Skipped (outside the contract): testCurrentProcessingTime (Context.currentProcessingTime()).
import { describe, it } from 'vitest';
import { type Event, ev, expectMatches, feedPattern, Pattern } from './harness.js';

describe('Flink NFAIterativeConditionTimeContextTest', () => {
  it('testEventTimestamp', () => {
    // Flink's EventBuilder default event with id 1.
    const event = ev(1, '', 0.0);
    const pattern = Pattern.begin<Event>('start').where((_e, ctx) => ctx.timestamp === 3);
    expectMatches(feedPattern(pattern, [[event, 3]]), [[event]]);
  });
});
