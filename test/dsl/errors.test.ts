import { describe, expect, test } from 'vitest';
import { checkProgram, DslError, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { lookups } from './helpers.js';

/** One bad input per error class: the exact `file:line:col: message`, source line and caret. */
interface BadCase {
  readonly name: string;
  readonly source: string;
  /** Check against a small closed record schema. */
  readonly schema?: true;
  readonly expected: readonly string[];
}

const SCHEMA = { ts: 'number', plate: 'string', speed: 'number' } as const;

const cases: readonly BadCase[] = [
  {
    name: 'lexer: unexpected character',
    source: 'source passes # x',
    expected: ["bad.pattern:1:15: unexpected character '#'\nsource passes # x\n              ^"],
  },
  {
    name: 'lexer: unterminated string',
    source: 'stream s = from p\n  where plate != "abc',
    expected: ['bad.pattern:2:18: unterminated string: a string must close on the same line\n  where plate != "abc\n                 ^'],
  },
  {
    name: 'lexer: unknown escape',
    source: "stream s = from p where plate != 'a\\qb'",
    expected: [
      "bad.pattern:1:36: unknown escape '\\q' in string; use \\\\, \\\", \\', \\n, \\t, \\r, \\0 or \\uXXXX\nstream s = from p where plate != 'a\\qb'\n                                   ^",
    ],
  },
  {
    name: 'lexer: unknown duration unit',
    source: 'stream s = from p window tumbling 5min select *',
    expected: [
      "bad.pattern:1:36: unknown unit 'min' after a number; durations use ms, s, m, h or d\nstream s = from p window tumbling 5min select *\n                                   ^",
    ],
  },
  {
    name: 'parse: expected keyword',
    source: 'stream s = from passes\n  key checkpoint',
    expected: ["bad.pattern:2:7: expected 'by' after 'key', found 'checkpoint'\n  key checkpoint\n      ^"],
  },
  {
    name: 'parse: end of input',
    source: 'source passes\n  event time',
    expected: ["bad.pattern:2:13: expected a name after 'time', found end of input\n  event time\n            ^"],
  },
  {
    name: 'parse: missing connector',
    source: 'source passes\n  event time ts\npattern p from passes match a b',
    expected: [
      "bad.pattern:3:31: expected a quantifier, a modifier, a connector, the next clause or a new declaration ('source', 'stream' or 'pattern') after 'a', found 'b'\npattern p from passes match a b\n                              ^",
    ],
  },
  {
    name: 'parse: reluctant star',
    source: 'source passes\n  event time ts\npattern p from passes match a*? followed by b',
    expected: [
      "bad.pattern:3:31: expected a modifier, a connector, the next clause or a new declaration ('source', 'stream' or 'pattern') after '*', found '?'\npattern p from passes match a*? followed by b\n                              ^",
    ],
  },
  {
    name: 'parse: empty select',
    source: 'stream s = from p select',
    expected: ["bad.pattern:1:25: expected an expression or '*' after 'select', found end of input\nstream s = from p select\n                        ^"],
  },
  {
    name: 'parse: incomplete expression',
    source: 'stream s = from p where speed >',
    expected: ["bad.pattern:1:32: expected an expression after '>', found end of input\nstream s = from p where speed >\n                               ^"],
  },
  {
    name: 'unknown input',
    source: 'stream s = from nowhere select *',
    expected: ["bad.pattern:1:17: unknown source, stream or pattern 'nowhere'\nstream s = from nowhere select *\n                ^"],
  },
  {
    name: 'pattern-to-stream cycle',
    source: 'source passes\n  event time ts\npattern p from s match a emit { n: 1 }\nstream s = from p',
    expected: [
      "bad.pattern:3:16: 'p' reads from itself through 's'\npattern p from s match a emit { n: 1 }\n               ^",
      "bad.pattern:4:17: 's' reads from itself through 'p'\nstream s = from p\n                ^",
    ],
  },
  {
    name: 'pattern-to-stream cycle through a union',
    source: 'source passes\n  event time ts\nstream both = from passes union p\npattern p from both match a',
    expected: [
      "bad.pattern:3:33: 'both' reads from itself through 'p'\nstream both = from passes union p\n                                ^",
      "bad.pattern:4:16: 'p' reads from itself through 'both'\npattern p from both match a\n               ^",
    ],
  },
  {
    name: 'unknown field of a pattern read as a stream',
    source: 'source passes\n  event time ts\npattern p from passes match a emit { who: a.plate }\nstream s = from p where plate == "x"',
    expected: ["bad.pattern:4:25: unknown field 'plate' in the records of 'p'\nstream s = from p where plate == \"x\"\n                        ^"],
  },
  {
    name: 'type error on a field of a pattern read as a stream',
    source:
      'source passes\n  event time ts\npattern p from passes match a next b emit { gap: b.ts - a.ts, who: a.plate }\nstream s = from p\n  where gap > who',
    schema: true,
    expected: ["bad.pattern:5:13: cannot order a duration and a string with '>'\n  where gap > who\n            ^"],
  },
  {
    name: 'union inputs with different fields',
    source: 'source passes\n  event time ts\nstream a = from passes select plate\nstream b = from passes select plate, speed\nstream u = from a union b',
    schema: true,
    expected: [
      "bad.pattern:5:17: every input of a union needs the same fields, but 'a' has no 'speed' (select it there, e.g. 'null as speed')\nstream u = from a union b\n                ^",
    ],
  },
  {
    name: 'union inputs disagree on a type',
    source: 'source passes\n  event time ts\nstream a = from passes select plate as x\nstream b = from passes select speed as x\nstream u = from a union b',
    schema: true,
    expected: ["bad.pattern:5:25: the union's inputs disagree on 'x': a string in one, a number in 'b'\nstream u = from a union b\n                        ^"],
  },
  {
    name: 'union reads an input twice',
    source: 'source passes\n  event time ts\nstream u = from passes union passes',
    expected: [
      "bad.pattern:3:30: 'passes' is already an input of this union (at column 17); read it once\nstream u = from passes union passes\n                             ^",
    ],
  },
  {
    name: 'enrich on a union',
    source:
      'source passes\n  event time ts\nstream a = from passes select plate\nstream u = from a union a2\n  enrich n = first_seen(plate)\nstream a2 = from passes select plate',
    schema: true,
    expected: ["bad.pattern:5:3: 'enrich' cannot be used on a union; enrich the input stream that needs it\n  enrich n = first_seen(plate)\n  ^"],
  },
  {
    name: 'duplicate declaration',
    source: 'source passes\n  event time ts\nstream passes = from passes',
    expected: ["bad.pattern:3:8: 'passes' is already declared as a source at bad.pattern:1:8\nstream passes = from passes\n       ^"],
  },
  {
    name: 'stream cycle',
    source: 'stream a = from b\nstream b = from a',
    expected: [
      "bad.pattern:1:17: 'a' reads from itself through 'b'\nstream a = from b\n                ^",
      "bad.pattern:2:17: 'b' reads from itself through 'a'\nstream b = from a\n                ^",
    ],
  },
  {
    name: 'unknown function',
    source: 'source passes\n  event time ts\nstream s = from passes where speeed(speed) > 1',
    expected: ["bad.pattern:3:30: unknown function 'speeed'\nstream s = from passes where speeed(speed) > 1\n                             ^"],
  },
  {
    name: 'wrong arity',
    source: 'source passes\n  event time ts\nstream s = from passes where lower(plate, 1) == "a"',
    expected: ['bad.pattern:3:30: \'lower\' takes 1 argument, got 2\nstream s = from passes where lower(plate, 1) == "a"\n                             ^'],
  },
  {
    name: 'argument type',
    source: 'source passes\n  event time ts\nstream s = from passes where hours("x") > 1',
    expected: [
      'bad.pattern:3:36: argument 1 of \'hours\' must be a duration, got a string\nstream s = from passes where hours("x") > 1\n                                   ^',
    ],
  },
  {
    name: 'string times number',
    source: 'source passes\n  event time ts\nstream s = from passes select "a" * 2 as x',
    expected: [
      'bad.pattern:3:35: cannot apply \'*\' to a string and a number\nstream s = from passes select "a" * 2 as x\n                                  ^',
    ],
  },
  {
    name: 'compare string with number',
    source: 'source passes\n  event time ts\nstream s = from passes where "a" == 2',
    expected: ['bad.pattern:3:34: cannot compare a string with a number\nstream s = from passes where "a" == 2\n                                 ^'],
  },
  {
    name: 'comparison with null',
    source: 'source passes\n  event time ts\nstream s = from passes where plate != null',
    expected: [
      'bad.pattern:3:36: a comparison with null is always false; use coalesce(x, fallback) to replace a missing value\nstream s = from passes where plate != null\n                                   ^',
    ],
  },
  {
    name: 'where not boolean',
    source: 'source passes\n  event time ts\nstream s = from passes where speed + 1',
    expected: ["bad.pattern:3:30: 'where' must be true or false, got a number\nstream s = from passes where speed + 1\n                             ^"],
  },
  {
    name: 'unknown variable in emit',
    source: 'source passes\n  event time ts\npattern p from passes match a emit { x: z.plate }',
    expected: [
      "bad.pattern:3:41: unknown pattern variable 'z': it does not appear in 'match'\npattern p from passes match a emit { x: z.plate }\n                                        ^",
    ],
  },
  {
    name: 'defined but not in match',
    source: 'source passes\n  event time ts\npattern p from passes define\n  a as true\n  c as true\n  match a',
    expected: ["bad.pattern:5:3: 'c' is defined but does not appear in 'match'\n  c as true\n  ^"],
  },
  {
    name: 'variable not matched yet',
    source: 'source passes\n  event time ts\npattern p from passes define\n  a as speed > b.speed\n  match a followed by b',
    expected: [
      "bad.pattern:4:16: 'b' is not matched yet when 'a' is tested; a condition may use only earlier variables or its own\n  a as speed > b.speed\n               ^",
    ],
  },
  {
    name: 'duplicate variable in match',
    source: 'source passes\n  event time ts\npattern p from passes match a followed by a',
    expected: [
      "bad.pattern:3:43: 'a' appears twice in 'match'; each term needs its own variable\npattern p from passes match a followed by a\n                                          ^",
    ],
  },
  {
    name: 'duplicate parameter',
    source: 'source passes\n  event time ts\npattern p(x = 1, x = 2) from passes match a',
    expected: ["bad.pattern:3:18: duplicate parameter 'x'\npattern p(x = 1, x = 2) from passes match a\n                 ^"],
  },
  {
    name: 'duplicate emit key',
    source: 'source passes\n  event time ts\npattern p from passes match a emit { k: a.plate, k: a.lane }',
    expected: [
      "bad.pattern:3:50: duplicate key 'k'\npattern p from passes match a emit { k: a.plate, k: a.lane }\n                                                 ^",
    ],
  },
  {
    name: 'duplicate define',
    source: 'source passes\n  event time ts\npattern p from passes define a as true a as false match a',
    expected: [
      "bad.pattern:3:40: 'a' is already defined at line 3\npattern p from passes define a as true a as false match a\n                                       ^",
    ],
  },
  {
    name: 'zero count',
    source: 'source passes\n  event time ts\npattern p from passes match a{0} followed by b',
    expected: [
      "bad.pattern:3:30: 'a{0}' can never match an event; remove the term or use 'a?'\npattern p from passes match a{0} followed by b\n                             ^",
    ],
  },
  {
    name: 'inverted counts',
    source: 'source passes\n  event time ts\npattern p from passes match a{3,2} followed by b',
    expected: [
      "bad.pattern:3:30: 'a{3,2}' can never match: the upper bound 2 is below the lower bound 3\npattern p from passes match a{3,2} followed by b\n                             ^",
    ],
  },
  {
    name: 'until on a single term',
    source: 'source passes\n  event time ts\npattern p from passes match a until speed > 1 followed by b',
    expected: [
      "bad.pattern:3:31: 'until' needs a looping term (v+, v* or v{n,}), but 'a' is not one\npattern p from passes match a until speed > 1 followed by b\n                              ^",
    ],
  },
  {
    name: 'not term with quantifier',
    source: 'source passes\n  event time ts\npattern p from passes match a not followed by b+ followed by c',
    expected: [
      "bad.pattern:3:48: a 'not' term cannot have a quantifier: 'b' must match no event at all\npattern p from passes match a not followed by b+ followed by c\n                                               ^",
    ],
  },
  {
    name: 'trailing not followed by without within',
    source: 'source passes\n  event time ts\npattern p from passes match a not followed by b',
    expected: [
      "bad.pattern:3:31: a pattern that ends with 'not followed by' needs 'within': otherwise it could never complete\npattern p from passes match a not followed by b\n                              ^",
    ],
  },
  {
    name: 'aggregate in where',
    source: 'source passes\n  event time ts\nstream s = from passes where count() > 1',
    expected: [
      "bad.pattern:3:30: the aggregate 'count' is not allowed in 'where'; aggregates belong in the select of a windowed stream or in a pattern\nstream s = from passes where count() > 1\n                             ^",
    ],
  },
  {
    name: 'within not a duration',
    source: 'source passes\n  event time ts\npattern p from passes match a within "1h"',
    expected: [
      'bad.pattern:3:38: \'within\' must be a duration such as 5m, got a string\npattern p from passes match a within "1h"\n                                     ^',
    ],
  },
  {
    name: 'within zero',
    source: 'source passes\n  event time ts\npattern p from passes match a within 0s',
    expected: [
      "bad.pattern:3:38: 'within' must be a positive duration, got 0ms\npattern p from passes match a within 0s\n                                     ^",
    ],
  },
  {
    name: 'unknown field (schema)',
    source: 'source passes\n  event time ts\nstream s = from passes where sped > 1',
    schema: true,
    expected: [
      "bad.pattern:3:30: unknown field 'sped' in the records of 'passes'; did you mean 'speed'?\nstream s = from passes where sped > 1\n                             ^",
    ],
  },
  {
    name: 'event time not in schema',
    source: 'source passes\n  event time time',
    schema: true,
    expected: ["bad.pattern:2:14: the event time field 'time' is not a field of the records of 'passes'\n  event time time\n             ^"],
  },
  {
    name: 'bare field in emit',
    source: 'source passes\n  event time ts\npattern p from passes match a emit { x: plate }',
    expected: [
      "bad.pattern:3:41: 'plate' is not a parameter; a field in 'emit' must name its variable, e.g. v.plate\npattern p from passes match a emit { x: plate }\n                                        ^",
    ],
  },
  {
    name: 'windowed select non-key',
    source: 'source passes\n  event time ts\nstream s = from passes key by checkpoint window tumbling 1m select checkpoint, speed',
    expected: [
      "bad.pattern:3:80: 'speed' is neither a key of 'key by' nor inside an aggregate\nstream s = from passes key by checkpoint window tumbling 1m select checkpoint, speed\n                                                                               ^",
    ],
  },
  {
    name: 'select item needs a name',
    source: 'source passes\n  event time ts\nstream s = from passes select speed * 2',
    expected: ["bad.pattern:3:31: this select item needs a name: add 'as <name>'\nstream s = from passes select speed * 2\n                              ^"],
  },
  {
    name: 'allowed lateness without window',
    source: 'source passes\n  event time ts\nstream s = from passes allowed lateness 1m select *',
    expected: [
      "bad.pattern:3:41: 'allowed lateness' needs a window or prev(): without one a stream refuses no record\nstream s = from passes allowed lateness 1m select *\n                                        ^",
    ],
  },
  {
    name: 'allowed lateness on a pattern without within',
    source: 'source passes\n  event time ts\npattern p from passes match a allowed lateness 1h',
    expected: [
      "bad.pattern:3:48: 'allowed lateness' on a pattern needs 'within': it bounds the events kept to match again\npattern p from passes match a allowed lateness 1h\n                                               ^",
    ],
  },
  {
    name: 'lookup used as function',
    source: 'source passes\n  event time ts\nstream s = from passes where first_seen(plate)',
    expected: [
      "bad.pattern:3:30: 'first_seen' is a lookup; use it as 'enrich <name> = first_seen(...)' in a stream\nstream s = from passes where first_seen(plate)\n                             ^",
    ],
  },
  {
    name: 'unknown lookup',
    source: 'source passes\n  event time ts\nstream s = from passes enrich x = lower(plate)',
    expected: [
      "bad.pattern:3:35: unknown lookup 'lower' ('lower' is a function: compute it in 'select' instead)\nstream s = from passes enrich x = lower(plate)\n                                  ^",
    ],
  },
  {
    name: 'greedy last',
    source: 'source passes\n  event time ts\npattern p from passes match a followed by b+ greedy',
    expected: [
      "bad.pattern:3:46: 'greedy' cannot be used on the last term of a pattern (as in Flink); end with a plain or reluctant term\npattern p from passes match a followed by b+ greedy\n                                             ^",
    ],
  },
  {
    name: 'consecutive and any',
    source: 'source passes\n  event time ts\npattern p from passes match a+ consecutive any followed by b',
    expected: [
      "bad.pattern:3:44: 'any' and 'consecutive' exclude each other: a loop is either strict or takes any combination\npattern p from passes match a+ consecutive any followed by b\n                                           ^",
    ],
  },
  {
    name: 'on timeout without within',
    source: 'source passes\n  event time ts\npattern p from passes match a followed by b emit {} on timeout emit { x: a.plate }',
    expected: [
      "bad.pattern:3:69: 'on timeout emit' needs 'within': only 'within' makes a partial match time out\npattern p from passes match a followed by b emit {} on timeout emit { x: a.plate }\n                                                                    ^",
    ],
  },
  {
    name: 'skip to first of first',
    source: 'source passes\n  event time ts\npattern p from passes match a followed by b after match skip to first a',
    expected: [
      "bad.pattern:3:71: 'skip to first a' would restart at the same event forever; use 'skip to next' or a later variable\npattern p from passes match a followed by b after match skip to first a\n                                                                      ^",
    ],
  },
  {
    name: 'negated variable in emit',
    source: 'source passes\n  event time ts\npattern p from passes match a not next n followed by b emit { x: n.plate }',
    expected: [
      "bad.pattern:3:66: 'n' is a 'not' term and never matches an event, so it cannot be used in 'emit'\npattern p from passes match a not next n followed by b emit { x: n.plate }\n                                                                 ^",
    ],
  },
  {
    name: 'greedy on a single term',
    source: 'source passes\n  event time ts\npattern p from passes match a greedy followed by b',
    expected: [
      "bad.pattern:3:31: 'greedy' needs a repeating term (v+, v*, v{n}, v{n,m}), but 'a' is not one\npattern p from passes match a greedy followed by b\n                              ^",
    ],
  },
  {
    name: 'if arity',
    source: 'source passes\n  event time ts\nstream s = from passes where if(speed > 1, true)',
    expected: [
      "bad.pattern:3:30: 'if' takes 3 arguments (condition, then, else), got 2\nstream s = from passes where if(speed > 1, true)\n                             ^",
    ],
  },
  {
    name: 'select star with window',
    source: 'source passes\n  event time ts\nstream s = from passes key by checkpoint window tumbling 1m select *',
    expected: [
      "bad.pattern:3:61: 'select *' cannot be used with a window; select the keys and aggregates\nstream s = from passes key by checkpoint window tumbling 1m select *\n                                                            ^",
    ],
  },
  {
    name: 'object outside emit',
    source: 'source passes\n  event time ts\nstream s = from passes select { a: 1 } as o',
    expected: [
      "bad.pattern:3:31: an object is only allowed as the payload of 'emit'\nstream s = from passes select { a: 1 } as o\n                              ^",
    ],
  },
  {
    name: 'late into clash',
    source: 'source passes\n  event time ts\nstream w = from passes key by checkpoint window tumbling 1m late into passes select checkpoint',
    expected: [
      "bad.pattern:3:71: 'late into passes' names a side output, but 'passes' is already declared as a source\nstream w = from passes key by checkpoint window tumbling 1m late into passes select checkpoint\n                                                                      ^",
    ],
  },
  {
    name: 'fractional count',
    source: 'source passes\n  event time ts\npattern p from passes match a{1.5} followed by b',
    expected: [
      "bad.pattern:3:30: the counts in 'a{1.5}' must be whole numbers\npattern p from passes match a{1.5} followed by b\n                             ^",
    ],
  },
  {
    name: 'ordering booleans',
    source: 'source passes\n  event time ts\nstream s = from passes where true < false',
    expected: [
      "bad.pattern:3:35: cannot order a boolean and a boolean with '<'\nstream s = from passes where true < false\n                                  ^",
    ],
  },
  {
    name: 'if branches differ',
    source: 'source passes\n  event time ts\nstream s = from passes select if(speed > 1, "a", 2) as x',
    expected: [
      'bad.pattern:3:50: the branches of \'if\' differ: a string and a number\nstream s = from passes select if(speed > 1, "a", 2) as x\n                                                 ^',
    ],
  },
  {
    name: 'aggregate needs a variable in a pattern',
    source: 'source passes\n  event time ts\npattern p from passes match a+ followed by b emit { s: sum(speed) }',
    expected: [
      "bad.pattern:3:60: 'sum' in a pattern ranges over a variable's events: write sum(v.speed)\npattern p from passes match a+ followed by b emit { s: sum(speed) }\n                                                           ^",
    ],
  },
  {
    name: 'windowed stream without select',
    source: 'source passes\n  event time ts\nstream s = from passes key by checkpoint window tumbling 1m',
    expected: [
      "bad.pattern:3:49: the windowed stream 's' needs a 'select' with its keys and aggregates\nstream s = from passes key by checkpoint window tumbling 1m\n                                                ^",
    ],
  },
  {
    name: 'not on a number (schema)',
    source: 'source passes\n  event time ts\nstream s = from passes where not speed',
    schema: true,
    expected: ["bad.pattern:3:30: 'not' needs true or false, got a number\nstream s = from passes where not speed\n                             ^"],
  },
  {
    name: 'bare variable as value',
    source: 'source passes\n  event time ts\npattern p from passes define b as a > 1 match a followed by b',
    expected: [
      "bad.pattern:3:35: 'a' is a pattern variable; use one of its fields, e.g. a.ts, or count(a)\npattern p from passes define b as a > 1 match a followed by b\n                                  ^",
    ],
  },
  {
    name: 'not term after an optional term',
    source: 'source passes\n  event time ts\npattern p from passes match a followed by b? not next n followed by c',
    expected: [
      "bad.pattern:3:46: a 'not' term cannot follow the optional term 'b' (as in Flink); write two patterns, one with 'b' and one without\npattern p from passes match a followed by b? not next n followed by c\n                                             ^",
    ],
  },
  {
    name: 'misspelt function, with a suggestion',
    source: 'source passes\n  event time ts\nstream s = from passes where lowr(plate) == "a"',
    expected: [
      "bad.pattern:3:30: unknown function 'lowr'; did you mean 'lower'?\nstream s = from passes where lowr(plate) == \"a\"\n                             ^",
    ],
  },
  {
    name: 'misspelt input, with a suggestion',
    source: 'source passes\n  event time ts\nstream s = from pases select *',
    expected: ["bad.pattern:3:17: unknown source, stream or pattern 'pases'; did you mean 'passes'?\nstream s = from pases select *\n                ^"],
  },
  {
    name: "parse: '=' for '=='",
    source: 'source passes\n  event time ts\nstream s = from passes where x = 1',
    expected: [
      "bad.pattern:3:32: expected a new declaration ('source', 'stream' or 'pattern'), an operator, 'allowed', 'enrich', 'key', 'late', 'select' or 'window' after 'x', found '='; use '==' to compare\nstream s = from passes where x = 1\n                               ^",
    ],
  },
  {
    name: "parse: define without 'as'",
    source: 'source passes\n  event time ts\npattern p from passes define a speed > 1 match a',
    expected: ["bad.pattern:3:32: expected 'as' after 'a', found 'speed'\npattern p from passes define a speed > 1 match a\n                               ^"],
  },
  {
    name: "parse: watermark without 'out of order'",
    source: 'source passes event time ts watermark 30s',
    expected: [
      "bad.pattern:1:42: expected an operator or 'out' after '30s', found end of input\nsource passes event time ts watermark 30s\n                                         ^",
    ],
  },
  {
    name: 'prev: without key by',
    source: 'source passes\n  event time ts\nstream s = from passes\n  select plate, prev(speed) as p',
    schema: true,
    expected: [
      "bad.pattern:4:17: 'prev' needs 'key by': it reads the previous record of the same key (e.g. 'key by plate, plate_color')\n  select plate, prev(speed) as p\n                ^",
    ],
  },
  {
    name: 'prev: without keep',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  select plate, prev(speed) as p',
    schema: true,
    expected: [
      "bad.pattern:5:17: 'prev' needs 'keep <duration>' after 'key by': how long a key's previous record is remembered (e.g. 'keep 1d')\n  select plate, prev(speed) as p\n                ^",
    ],
  },
  {
    name: 'prev: outside select',
    source: 'source passes\n  event time ts\nstream s = from passes\n  where prev(speed) > 1\n  key by plate\n  keep 1h\n  select plate, prev(speed) as p',
    schema: true,
    expected: [
      "bad.pattern:4:9: 'prev' is not allowed in 'where'; it belongs in the select of a keyed stream with 'keep' and no window\n  where prev(speed) > 1\n        ^",
    ],
  },
  {
    name: 'prev: in a windowed select',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  window tumbling 1m\n  select plate, prev(speed) as p',
    schema: true,
    expected: [
      "bad.pattern:6:17: 'prev' cannot be used in a windowed select; it belongs in the select of a keyed stream with 'keep' and no window\n  select plate, prev(speed) as p\n                ^",
      "bad.pattern:6:17: 'prev(speed)' is neither a key of 'key by' nor inside an aggregate\n  select plate, prev(speed) as p\n                ^",
    ],
  },
  {
    name: 'prev: in a pattern',
    source: 'source passes\n  event time ts\npattern p from passes\n  key by plate\n  match a\n  emit { s: prev(a.speed) }',
    schema: true,
    expected: [
      "bad.pattern:6:13: 'prev' is not allowed in 'emit'; it belongs in the select of a keyed stream with 'keep' and no window\n  emit { s: prev(a.speed) }\n            ^",
    ],
  },
  {
    name: 'prev: nested and with two arguments',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  keep 1h\n  select plate, prev(prev(speed)) as p, prev(speed, 0) as q',
    schema: true,
    expected: [
      "bad.pattern:6:22: 'prev' is not allowed inside 'prev(...)'; it belongs in the select of a keyed stream with 'keep' and no window\n  select plate, prev(prev(speed)) as p, prev(speed, 0) as q\n                     ^",
      "bad.pattern:6:41: 'prev' takes 1 argument (the value on the key's previous record), got 2\n  select plate, prev(prev(speed)) as p, prev(speed, 0) as q\n                                        ^",
    ],
  },
  {
    name: 'keep: without prev',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  keep 1h\n  select plate',
    schema: true,
    expected: ["bad.pattern:5:8: 'keep' bounds the state of prev(); this stream's select has no prev(...)\n  keep 1h\n       ^"],
  },
  {
    name: 'keep: not a duration',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  keep "1d"\n  select plate, prev(speed) as p',
    schema: true,
    expected: ['bad.pattern:5:8: \'keep\' must be a duration such as 5m, got a string\n  keep "1d"\n       ^'],
  },
  {
    name: 'parse: keep without its duration',
    source: 'source passes\n  event time ts\nstream s = from passes\n  key by plate\n  keep\n  select plate, prev(speed) as p',
    schema: true,
    expected: ["bad.pattern:6:3: expected an expression after 'keep', found 'select'\n  select plate, prev(speed) as p\n  ^"],
  },
];

function errorsOf(c: BadCase): string[] {
  const parsed = parseProgram(c.source, 'bad.pattern');
  if (!parsed.ok) return [formatDslError(parsed.error, c.source)];
  const checked = checkProgram(parsed.program, { lookups: lookups(), ...(c.schema === undefined ? {} : { schema: SCHEMA }) });
  expect(checked.program).toBeNull();
  return checked.errors.map((e) => formatDslError(e, c.source));
}

describe('bad inputs: one error class each', () => {
  test('there are at least 30 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  for (const c of cases) {
    test(c.name, () => {
      expect(errorsOf(c)).toEqual(c.expected);
    });
  }
});

describe('error reporting', () => {
  test('the checker reports every error of a file in one pass, sorted by place', () => {
    const source = [
      'source passes',
      '  event time ts',
      'pattern p(x = 1, x = 2)',
      '  from passes',
      '  define',
      '    a as speed * "fast" > 1',
      '    b as nope(a.speed)',
      '  match a{0} followed by b not followed by c',
      '  emit { k: z.plate, k: 1 }',
    ].join('\n');
    const parsed = parseProgram(source, 'many.pattern');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const errors = checkProgram(parsed.program).errors;
    expect(errors.map((e) => `${e.line}:${e.col}`)).toEqual(['3:18', '6:16', '7:10', '8:10', '8:28', '9:13', '9:22']);
    expect(errors.every((e) => e instanceof DslError && e.file === 'many.pattern')).toBe(true);
  });

  test('after a syntax error the parser resumes at the next declaration and reports its error too', () => {
    const source = [
      'source passes',
      '  event time',
      'stream ok = from passes select *',
      'stream s = from passes',
      '  key checkpoint',
      'pattern p from passes match a b',
      'stream also_ok = from passes',
    ].join('\n');
    const parsed = parseProgram(source, 'three.pattern');
    if (parsed.ok) throw new Error('expected syntax errors');
    expect(parsed.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      "3:1: expected a name after 'time', found 'stream'",
      "5:7: expected 'by' after 'key', found 'checkpoint'",
      "6:31: expected a quantifier, a modifier, a connector, the next clause or a new declaration ('source', 'stream' or 'pattern') after 'a', found 'b'",
    ]);
    expect(parsed.error).toBe(parsed.errors[0]);
  });

  test('errors from several files sort by file, then line, then column', () => {
    const a = parseProgram('stream s = from nowhere\nstream t = from nowhere2', 'b.pattern');
    const b = parseProgram('stream u = from gone', 'a.pattern');
    if (!a.ok || !b.ok) throw new Error('parse failed');
    const errors = checkProgram([a.program, b.program]).errors;
    expect(errors.map((e) => `${e.file}:${e.line}:${e.col}`)).toEqual(['a.pattern:1:17', 'b.pattern:1:17', 'b.pattern:2:17']);
  });

  test('the caret keeps the tabs of the source line', () => {
    const source = 'stream s = from passes\n\twhere\tspeed > "x" and "y" < 2';
    const error = new DslError('t.pattern', 2, 15, 'something is wrong');
    expect(formatDslError(error, source)).toBe('t.pattern:2:15: something is wrong\n\twhere\tspeed > "x" and "y" < 2\n\t     \t       ^');
  });

  test('a type error on a tab-indented line points at the operator', () => {
    const source = 'source p\n\tevent time ts\nstream s = from p\n\twhere\t"a" * 2 > 1';
    const parsed = parseProgram(source, 'tab.pattern');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const [error] = checkProgram(parsed.program).errors;
    if (error === undefined) throw new Error('expected an error');
    expect(formatDslError(error, source)).toBe('tab.pattern:4:12: cannot apply \'*\' to a string and a number\n\twhere\t"a" * 2 > 1\n\t     \t    ^');
  });

  test('a CRLF file reports the right line without the carriage return', () => {
    const source = 'stream s = from p\r\n  key checkpoint\r\n';
    const parsed = parseProgram(source, 'crlf.pattern');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(formatDslError(parsed.error, source)).toBe("crlf.pattern:2:7: expected 'by' after 'key', found 'checkpoint'\n  key checkpoint\n      ^");
  });
});
