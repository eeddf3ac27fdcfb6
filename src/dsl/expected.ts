/** Turns the set of terminals a parser could accept into the words of an error message. */

/** Tokens that can start an expression; when all the main ones are expected we just say "an expression". */
const EXPRESSION_STARTS = ['%number', '%duration', '%string', '%ident', "'('", "'-'", "'not'", "'true'", "'false'", "'null'", "'{'"];

const NAMES: Readonly<Record<string, string>> = {
  '%ident': 'a name',
  '%kw': 'a name',
  '%number': 'a number',
  '%duration': 'a duration',
  '%string': 'a string',
};

/** Comparison and arithmetic operators: listed as "an operator" rather than one by one. */
const OPERATORS = new Set([
  "'not'",
  "'+'",
  "'-'",
  "'*'",
  "'/'",
  "'%'",
  "'=='",
  "'!='",
  "'<'",
  "'<='",
  "'>'",
  "'>='",
  "'and'",
  "'or'",
  "'in'",
  "'between'",
  "'.'",
  "'('",
]);

/** Groups named as one phrase when at least `least` of their members are expected. */
const GROUPS: readonly { readonly label: string; readonly members: readonly string[]; readonly least: number }[] = [
  { label: 'a quantifier', members: ["'*'", "'+'", "'?'", "'{'"], least: 3 },
  { label: 'a modifier', members: ["'greedy'", "'consecutive'", "'any'", "'until'"], least: 3 },
  { label: 'a connector', members: ["'next'", "'followed'", "'not'"], least: 3 },
  { label: 'the next clause', members: ["'within'", "'after'", "'allowed'", "'late'", "'emit'", "'on'"], least: 3 },
  { label: "a new declaration ('source', 'stream' or 'pattern')", members: ["'source'", "'stream'", "'pattern'", "'table'"], least: 3 },
];

export function describeExpected(terminals: readonly string[]): string {
  let set = new Set(terminals);
  const words: string[] = [];
  for (const g of GROUPS) {
    if (g.members.filter((m) => set.has(m)).length >= g.least) {
      words.push(g.label);
      set = new Set([...set].filter((t) => !g.members.includes(t)));
    }
  }
  if (['%number', '%string', '%ident', "'('"].every((t) => set.has(t))) {
    words.push('an expression');
    set = new Set([...set].filter((t) => !EXPRESSION_STARTS.includes(t)));
  }
  // After a complete operand many operators are possible; name them as a group.
  const ops = [...set].filter((t) => OPERATORS.has(t));
  if (ops.length >= 4) {
    words.push('an operator');
    set = new Set([...set].filter((t) => !OPERATORS.has(t)));
  }
  const named = new Set<string>();
  const literals: string[] = [];
  for (const t of set) {
    const name = NAMES[t];
    if (name !== undefined) named.add(name);
    else literals.push(t);
  }
  literals.sort();
  const all = [...words, ...named, ...literals];
  if (all.length === 0) return 'end of input';
  if (all.length === 1) return all[0] as string;
  return `${all.slice(0, -1).join(', ')} or ${all[all.length - 1] as string}`;
}
