/**
 * CEP engine throughput / memory benchmark (not a test): pattern `a followedBy b` where b must be at another
 * checkpoint than a (a cross-event condition reading the partial match), within 1h, over 100k keys and 2M events.
 *
 *   npm run build && node --expose-gc dist/bench/cep.js [events] [keys]
 *
 * Prints events/s, matches/s, peak heap and the partial matches alive at the end.
 */
import { compile, type MatchContext, type NfaKeyState, Pattern } from '../src/cep/index.js';

interface Pass {
  readonly plate: number;
  readonly kind: number; // 0 = entry-like pass (a), 1 = any other pass (b)
  readonly checkpoint: number;
  readonly ts: number;
}

const EVENTS = Number(process.argv[2] ?? 2_000_000);
const KEYS = Number(process.argv[3] ?? 100_000);
const STEP_MS = 5; // 2M events span ~2.8 hours of event time

const otherCheckpoint = (e: Pass, ctx: MatchContext<Pass>): boolean => {
  const a = ctx.events('a')[0];
  return a !== undefined && e.checkpoint !== a.checkpoint;
};
const pattern = Pattern.begin<Pass>('a')
  .where((e) => e.kind === 0)
  .followedBy('b')
  .where(otherCheckpoint)
  .within(3_600_000);

const nfa = compile(pattern);
const states = new Array<NfaKeyState<Pass> | undefined>(KEYS);

// xorshift32: deterministic input without allocating
let seed = 0x9e3779b9;
const rand = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let peakHeap = heapBefore;
let matches = 0;
let timedOut = 0;
const started = process.hrtime.bigint();
for (let i = 0; i < EVENTS; i++) {
  const plate = Math.floor(rand() * KEYS);
  const e: Pass = { plate, kind: rand() < 0.5 ? 0 : 1, checkpoint: Math.floor(rand() * 8), ts: i * STEP_MS };
  let st = states[plate];
  if (st === undefined) states[plate] = st = nfa.createState(plate);
  const out = nfa.process(st, e, e.ts);
  matches += out.matches.length;
  timedOut += out.timedOut.length;
  if ((i & 0xffff) === 0) {
    const h = process.memoryUsage().heapUsed;
    if (h > peakHeap) peakHeap = h;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const heapEnd = process.memoryUsage().heapUsed;
if (heapEnd > peakHeap) peakHeap = heapEnd;

let partials = 0;
let heldEvents = 0;
for (const st of states) {
  if (st === undefined) continue;
  partials += nfa.partialMatchCount(st);
  heldEvents += st.buffer.eventCount;
}
gc?.();
const retained = process.memoryUsage().heapUsed - heapBefore;
// Keep the key states reachable until after the measurement (otherwise they may be collected before it).
const liveKeys = states.reduce((n, st) => (st === undefined ? n : n + 1), 0);

const mb = (b: number): string => (b / 1048576).toFixed(1) + ' MB';
console.log(`cep bench: a followedBy b (cross-event condition, within 1h), ${KEYS} keys, ${EVENTS} events`);
console.log(`  time            ${seconds.toFixed(2)} s`);
console.log(`  events/s        ${Math.round(EVENTS / seconds)}`);
console.log(`  matches         ${matches} (${Math.round(matches / seconds)}/s), timed out ${timedOut}`);
console.log(`  peak heap       ${mb(peakHeap)} (sampled every 65536 events${gc === undefined ? '; run with --expose-gc for a clean baseline' : ''})`);
console.log(`  retained state  ${mb(retained)} after gc, for ${liveKeys} keys`);
console.log(`  partial matches alive at end ${partials}, events held ${heldEvents}`);
