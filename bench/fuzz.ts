/**
 * Property-based fuzzing of Vigil's two front doors with fast-check: the record parser with the traffic validator,
 * and the pattern-language lexer, parser and checker. Each input must be accepted or rejected with a message (a
 * file:line:col for the language), never crash (throw), never take more than TIME_BOUND_MS. Prints what was tried
 * and what came out; exits 1 on the first broken property, with fast-check's shrunk counterexample and seed.
 *
 *   npm run fuzz [-- --runs 100000] [--seed N]
 */
import fc from 'fast-check';
import { patternInputs, patternTarget, recordLines, recordTarget, TIME_BOUND_MS } from './fuzz-targets.js';
import { argNumber } from './util.js';

const runs = argNumber('runs', 100_000);
const seedAt = process.argv.indexOf('--seed');
const seed = seedAt >= 0 ? Number(process.argv[seedAt + 1]) : Date.now() % 2 ** 31;

interface Tally {
  accepted: number;
  rejected: number;
  control: number;
  slowestMs: number;
  longest: number;
}

function fuzz<T>(name: string, arb: fc.Arbitrary<T>, size: (t: T) => number, target: (t: T) => 'accepted' | 'rejected' | 'control'): boolean {
  const tally: Tally = { accepted: 0, rejected: 0, control: 0, slowestMs: 0, longest: 0 };
  const started = performance.now();
  const result = fc.check(
    fc.property(arb, (input) => {
      const t0 = performance.now();
      tally[target(input)]++;
      tally.slowestMs = Math.max(tally.slowestMs, performance.now() - t0);
      tally.longest = Math.max(tally.longest, size(input));
    }),
    { numRuns: runs, seed },
  );
  const secs = (performance.now() - started) / 1000;
  const tried = tally.accepted + tally.rejected + tally.control;
  console.log(
    `${name}: ${tried.toLocaleString('en')} inputs in ${secs.toFixed(1)} s: ${tally.accepted.toLocaleString('en')} accepted, ` +
      `${tally.rejected.toLocaleString('en')} rejected with a message, ${tally.control.toLocaleString('en')} blank or control; ` +
      `slowest ${tally.slowestMs.toFixed(1)} ms (bound ${TIME_BOUND_MS} ms), longest input ${tally.longest.toLocaleString('en')} chars`,
  );
  if (result.failed) {
    console.log(`${name}: FAILED after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath ?? '-'})`);
    console.log(`  error: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
    console.log(`  input: ${JSON.stringify(result.counterexample?.[0]).slice(0, 2000)}`);
  }
  return !result.failed;
}

console.log(`fuzz: ${runs.toLocaleString('en')} inputs per target, seed ${seed}`);
const recordsOk = fuzz('records', recordLines(true), (l) => l.length, recordTarget);
const patternsOk = fuzz(
  'patterns',
  patternInputs,
  (p) => p.source.length,
  (p) => patternTarget(p.source, p.replaces),
);
console.log(recordsOk && patternsOk ? 'fuzz: no property broken' : 'fuzz: a property broke (see above)');
process.exitCode = recordsOk && patternsOk ? 0 : 1;
