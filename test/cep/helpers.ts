import { compile, type Match, type Nfa, type NfaKeyState, type NfaOptions, type Pattern } from '../../src/cep/index.js';

/** A test event: a kind letter, its arrival index and an optional value. */
export interface Ev {
  readonly k: string;
  readonly i: number;
  readonly v?: number;
}

export const kind =
  (k: string) =>
  (e: Ev): boolean =>
    e.k === k;

/** `a1 b1 b2` -> events with kinds from the letters; timestamps are arrival indexes unless given. */
export function events(spec: string, values: readonly number[] = []): Ev[] {
  return spec
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((s, i) => ({ k: s[0]!, i, v: values[i] }));
}

/** A match as `var=idx,idx var=idx` with variables in the match's own key order. */
export function sig(m: Match<Ev>): string {
  return Object.entries(m)
    .map(([name, es]) => `${name}=${es.map((e) => e.i).join(',')}`)
    .join(' ');
}

export interface Run {
  matches: string[];
  timedOut: string[];
  nfa: Nfa<Ev>;
  state: NfaKeyState<Ev>;
}

/** Feeds events (timestamp = `ts(e)`, default the index) and finally advances time to `endTime` if given. */
export function run(pattern: Pattern<Ev>, evs: readonly Ev[], opts: { endTime?: number; ts?: (e: Ev) => number; nfa?: NfaOptions } = {}): Run {
  const nfa = compile(pattern, opts.nfa);
  const state = nfa.createState('k');
  const matches: string[] = [];
  const timedOut: string[] = [];
  const collect = (o: ReturnType<Nfa<Ev>['process']>): void => {
    for (const m of o.matches) matches.push(sig(m));
    for (const t of o.timedOut) timedOut.push(`${sig(t.match)} @${t.timeoutTimestamp}`);
  };
  for (const e of evs) collect(nfa.process(state, e, opts.ts ? opts.ts(e) : e.i));
  if (opts.endTime !== undefined) collect(nfa.advanceTime(state, opts.endTime));
  return { matches, timedOut, nfa, state };
}
