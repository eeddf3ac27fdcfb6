import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, vigil } from './helpers.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const pattern = join(fixtures, 'pair.pattern');
const rule = join(fixtures, 'pair.yaml');

/** A temp dir holding the fixture pattern and rule next to the given test files. */
function project(files: Record<string, string>): string {
  return tempDir({ 'pair.pattern': readFileSync(pattern, 'utf8'), 'pair.yaml': readFileSync(rule, 'utf8'), ...files });
}

const passing = `
patterns: pair.pattern
rules: pair.yaml
pattern: login_then_buy
tests:
  - name: login then a big purchase matches
    input:
      - { id: e1, user: u1, kind: login, ts: 2026-03-02T08:00:00Z }
      - { id: e2, user: u1, kind: buy, amount: 5, ts: 2026-03-02T08:01:00Z }
      - { id: e3, user: u1, kind: buy, amount: 50, ts: 2026-03-02T08:02:00Z }
    expect:
      matches:
        - { a: [e1], b: [{ id: e3, amount: 50, ts: 2026-03-02T08:02:00Z }] }
      timeouts: []

  - name: a login without a purchase times out
    input:
      - { id: e1, user: u1, kind: login, ts: 1000 }
      - { $watermark: 700000 }
    expect:
      matches: []
      timeouts: [ { a: [e1] } ]

  - name: params override the pattern's defaults
    params: { min_amount: 3 }
    input:
      - { id: e1, user: u1, kind: login, ts: 1000 }
      - { id: e2, user: u1, kind: buy, amount: 5, ts: 2000 }
    expect:
      matches: [ { b: [e2] } ]

  - name: a disabled rule still runs in a test, alerts carry the payload and a deterministic detected_at
    rule: big-buy
    input:
      - { id: e1, user: u1, kind: login, ts: 2026-03-02T08:00:00Z }
      - { id: e2, user: u2, kind: login, ts: 2026-03-02T08:00:30Z }
      - { id: e3, user: u1, kind: buy, amount: 50, ts: 2026-03-02T08:01:00Z }
      - { id: e4, user: u2, kind: buy, amount: 50, ts: 2026-03-02T08:20:00Z }
    validate: false
    expect:
      alerts:
        # The watermark allows no disorder, yet e3 waits for a later record to pass it: detected at e4's time.
        - { key: u1, payload: { user: u1, amount: 50 }, detected_at: 2026-03-02T08:20:00Z, event_time: 2026-03-02T08:01:00Z }
        - { key: u2, timeout: true, payload: { user: u2 }, evidence: { a: [e2] }, event_time: 2026-03-02T08:10:30Z }
      order: any

  - name: no alert is an empty list, late arrivals are written later
    rule: big-buy
    validate: false
    input:
      - { id: e1, user: u1, kind: buy, amount: 50, ts: 5000 }
      - { id: e2, user: u1, kind: login, ts: 4000 }
      - { $raw: 'not json' }
    expect:
      alerts: []
      late: [ { operator: "rule:big-buy:cep", record: e2, timestamp: 4000 } ]
      dead_letters: [ { line: 53, raw: not json } ]
`;

describe('vigil test', () => {
  it('passes a file whose expectations hold, with a summary on stderr and nothing on stdout', async () => {
    const dir = project({ 'pair.test.yaml': passing });
    const r = await vigil(['test'], dir);
    expect(r.err).toContain('5 passed, 0 failed');
    expect(r.err).toMatch(/^ok {3}pair\.test\.yaml:6:5 login then a big purchase matches$/m);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('--json prints one result per test on stdout; --filter picks tests by name', async () => {
    const dir = project({ 'pair.test.yaml': passing });
    const r = await vigil(['test', 'pair.test.yaml', '--json', '--filter', 'times out'], dir);
    expect(
      r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ file: 'pair.test.yaml', line: 16, col: 5, test: 'a login without a purchase times out', status: 'passed' }]);
    expect(r.code).toBe(0);
  });

  it('a failing test prints which item differs, expected against actual, with the file, line and test name; exit 1', async () => {
    const failing = passing
      .replace('b: [{ id: e3, amount: 50, ts: 2026-03-02T08:02:00Z }]', 'b: [{ id: e3, amount: 40, ts: 2026-03-02T08:02:00Z }]')
      .replace('timeouts: [ { a: [e1] } ]', 'timeouts: []');
    const dir = project({ 'pair.test.yaml': failing });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('3 passed, 2 failed');
    const block = (name: string): string => {
      const start = r.err.indexOf(`FAIL pair.test.yaml:`, r.err.indexOf(name) - 40);
      return r.err.slice(start, r.err.indexOf('\n\n', start));
    };
    expect(block('login then a big purchase matches')).toBe(
      [
        'FAIL pair.test.yaml:6:5 login then a big purchase matches',
        '  matches: expected 1 match, got 1',
        '    matches[0] differs from the expected match at line 13:',
        '        b[0].amount: expected 40, got 50',
        '      expected: {"a":["e1"],"b":[{"id":"e3","amount":40,"ts":"2026-03-02T08:02:00Z"}]}',
        '      actual:   {"a":["e1"],"b":[{"id":"e3","amount":50,"ts":"2026-03-02T08:02:00.000Z"}]}',
      ].join('\n'),
    );
    expect(block('a login without a purchase times out')).toBe(
      [
        'FAIL pair.test.yaml:16:5 a login without a purchase times out',
        '  timeouts: expected 0 timeouts, got 1 (the test asserts there is none)',
        '    unexpected timeouts[0]:',
        '      actual:   {"a":[{"id":"e1","user":"u1","kind":"login","ts":1000}]}',
      ].join('\n'),
    );
    expect(r.err).not.toContain('\u001b['); // no colour codes
  });

  it('in a longer list, an item in the wrong place is told apart from a missing one and an extra one', async () => {
    const input = `    input:
      - { id: a1, user: u1, kind: login, ts: 1000 }
      - { id: b1, user: u1, kind: buy, amount: 20, ts: 2000 }
      - { id: a2, user: u2, kind: login, ts: 3000 }
      - { id: b2, user: u2, kind: buy, amount: 20, ts: 4000 }
      - { id: a3, user: u3, kind: login, ts: 5000 }
      - { id: b3, user: u3, kind: buy, amount: 20, ts: 6000 }
`;
    const dir = project({
      'x.test.yaml': `patterns: pair.pattern
pattern: login_then_buy
tests:
  - name: one differs
${input}    expect:
      matches:
        - { a: [a1], b: [b1] }
        - { a: [a9], b: [b2] }
        - { a: [a3], b: [b3] }
  - name: one missing, one extra
${input}    expect:
      matches:
        - { a: [a1], b: [b1] }
        - { a: [a3], b: [b3] }
        - { a: [a9], b: [b9] }
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      [
        'FAIL x.test.yaml:4:5 one differs',
        '  matches: expected 3 matches, got 3',
        '    matches[1] differs from the expected match at line 15:',
        '        a[0]: expected event "a9", got event "a2"',
        '      expected: {"a":["a9"],"b":["b2"]}',
        '      actual:   {"a":["a2"],"b":["b2"]}',
        '',
      ].join('\n'),
    );
    expect(r.err).toContain(
      [
        'FAIL x.test.yaml:17:5 one missing, one extra',
        '  matches: expected 3 matches, got 3',
        '    missing: the expected match at line 29 has no counterpart',
        '      expected: {"a":["a9"],"b":["b9"]}',
        '    unexpected matches[1]:',
        '      actual:   {"a":[{"id":"a2","user":"u2","kind":"login","ts":3000}],"b":[{"id":"b2","user":"u2","kind":"buy","amount":20,"ts":4000}]}',
        '',
      ].join('\n'),
    );
  });

  it('order: any compares as multisets; {contains: [...]} allows other output', async () => {
    const dir = project({
      'o.test.yaml': `patterns: pair.pattern
pattern: login_then_buy
tests:
  - name: any order
    input:
      - { id: a1, user: u1, kind: login, ts: 1000 }
      - { id: a2, user: u2, kind: login, ts: 1000 }
      - { id: b2, user: u2, kind: buy, amount: 20, ts: 2000 }
      - { id: b1, user: u1, kind: buy, amount: 20, ts: 2000 }
    expect:
      order: any
      matches: [ { a: [a1], b: [b1] }, { a: [a2], b: [b2] } ]
  - name: contains
    input:
      - { id: a1, user: u1, kind: login, ts: 1000 }
      - { id: b1, user: u1, kind: buy, amount: 20, ts: 2000 }
      - { id: a2, user: u1, kind: login, ts: 3000 }
      - { id: b2, user: u1, kind: buy, amount: 30, ts: 4000 }
    expect:
      matches: { contains: [ { b: [b2] } ] }
  - name: contains fails
    input:
      - { id: a1, user: u1, kind: login, ts: 1000 }
      - { id: b1, user: u1, kind: buy, amount: 20, ts: 2000 }
    expect:
      matches: { contains: [ { b: [b7] } ] }
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.err).toMatch(/^ok {3}o\.test\.yaml:4:5 any order$/m);
    expect(r.err).toMatch(/^ok {3}o\.test\.yaml:13:5 contains$/m);
    expect(r.err).toContain(
      [
        'FAIL o.test.yaml:21:5 contains fails',
        '  matches: 1 of the 1 match expected among the output is not there (1 in the output)',
        '    missing: the match at line 26',
        '      expected: {"b":["b7"]}',
        '      actual[0]: {"b":["b1"]}',
      ].join('\n'),
    );
    expect(r.err).toContain('2 passed, 1 failed');
  });

  it('unbounded keeps pending matches open; $clock sets the processing time alerts are detected at', async () => {
    const dir = project({
      'u.test.yaml': `patterns: pair.pattern
rules: pair.yaml
rule: big-buy
validate: false
tests:
  - name: bounded input ends with a timeout alert, detected at the clock of the end
    input:
      - { id: e1, user: u1, kind: login, ts: 2026-03-02T08:00:00Z }
      - { $clock: 2026-03-02T09:00:00Z }
    expect:
      alerts: [ { timeout: true, evidence: { a: [e1] }, event_time: 2026-03-02T08:10:00Z, detected_at: 2026-03-02T09:00:00Z } ]
  - name: unbounded input leaves it pending
    unbounded: true
    input:
      - { id: e1, user: u1, kind: login, ts: 2026-03-02T08:00:00Z }
    expect:
      alerts: []
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.err).toContain('2 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('input_file reads an NDJSON timeline; {count: n} checks only the number of items', async () => {
    const dir = project({
      'events.ndjson': [
        '{"id":"e1","user":"u1","kind":"login","ts":1000}',
        '{"$watermark": 500000}',
        '',
        '{"id":"e2","user":"u1","kind":"buy","amount":50,"ts":2000}',
      ].join('\n'),
      'f.test.yaml': `patterns: pair.pattern
pattern: login_then_buy
tests:
  - name: from a file
    input_file: events.ndjson
    expect:
      matches: { count: 0 }
      late: [ { record: e2 } ]
      timeouts: { count: 2 }
  - name: missing file
    input_file: nowhere.ndjson
    expect: { matches: [] }
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('f.test.yaml:11:17: tests[1].input_file: cannot read nowhere.ndjson: ENOENT');
    // The file is malformed as a whole: fix it and the first test runs, and its count check fails readably.
    const again = await vigil(
      ['test'],
      project({
        'events.ndjson': [
          '{"id":"e1","user":"u1","kind":"login","ts":1000}',
          '{"$watermark": 500000}',
          '{"id":"e2","user":"u1","kind":"buy","amount":50,"ts":2000}',
        ].join('\n'),
        'f.test.yaml':
          'patterns: pair.pattern\npattern: login_then_buy\ntests:\n  - name: from a file\n    input_file: events.ndjson\n    expect:\n      matches: { count: 0 }\n      late: [ { record: e2 } ]\n      timeouts: { count: 2 }\n',
      }),
    );
    expect(again.err).toContain(
      ['  timeouts: expected 2 timeouts, got 1', '      actual[0]: {"a":[{"id":"e1","user":"u1","kind":"login","ts":1000}]}'].join('\n'),
    );
    expect(again.err).not.toContain('matches:');
    expect(again.err).not.toContain('late:');
    expect(again.err).toContain('0 passed, 1 failed');
  });

  it('YAML anchors and merge keys share fields between records', async () => {
    const dir = project({
      'a.test.yaml': `patterns: pair.pattern
pattern: login_then_buy
tests:
  - name: anchors
    input:
      - &u1 { id: e1, user: u1, kind: login, ts: 1000 }
      - { <<: *u1, id: e2, kind: buy, amount: 20, ts: 2000 }
    expect:
      matches: [ { a: [ *u1 ], b: [ { id: e2, user: u1 } ] } ]
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.err).toContain('1 passed, 0 failed');
  });

  it('a test that cannot run (unknown pattern, wrong parameter type) is a failure with file:line:col and a caret', async () => {
    const dir = project({
      'bad.test.yaml': `patterns: pair.pattern
tests:
  - name: unknown pattern
    pattern: nope
    input: []
    expect: { matches: [] }
  - name: wrong parameter
    pattern: login_then_buy
    params: { min_amount: lots }
    input: []
    expect: { matches: [] }
`,
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "FAIL bad.test.yaml:3:5 unknown pattern: the test cannot run\n  bad.test.yaml:4:14: pattern: unknown pattern 'nope' (patterns: login_then_buy)\n      pattern: nope\n               ^\n",
    );
    expect(r.err).toContain('bad.test.yaml:9:15: params.min_amount: expected a number, got "lots"');
    expect(r.err).toContain('0 passed, 2 failed');
  });

  it('a malformed test file is reported with file:line:col, the line and a caret, and nothing runs from it', async () => {
    const dir = project({
      'm.test.yaml': `patterns: pair.pattern
pattern: login_then_buy
tests:
  - name: one
    input:
      - { $watermark: yesterday }
      - 42
    expect:
      alerts: []
      matchez: []
  - name: one
    input: {}
    expect: {}
  - inputs: []
`,
      'ok.test.yaml': passing,
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    const errors = r.err.split('\n').filter((l) => l.startsWith('m.test.yaml:'));
    expect(errors).toEqual([
      'm.test.yaml:6:23: tests[0].input[0].$watermark: expected a time: epoch ms or ISO-8601 with a zone, e.g. 2026-03-02T08:00:00Z',
      'm.test.yaml:7:9: tests[0].input[1]: expected a record (a mapping of fields), {$watermark: t}, {$clock: t} or {$raw: "line"}',
      'm.test.yaml:9:7: tests[0].expect.alerts: alerts are the output of a rule test; a pattern test expects matches and timeouts',
      'm.test.yaml:10:7: tests[0].expect.matchez: unknown key; expect has matches, timeouts, alerts, late, dead_letters, streams, order',
      "m.test.yaml:11:5: tests[1].name: duplicate test name 'one' (also at line 4)",
      'm.test.yaml:12:12: tests[1].input: expected a list of records and {$watermark: t} lines (an empty list is []), or such lists by source name',
      'm.test.yaml:13:13: tests[1].expect: expects nothing; list at least one output (an empty list [] asserts there is none)',
      'm.test.yaml:14:5: tests[2].inputs: unknown key; a test has name, pattern, rule, params, validate, unbounded, defaults, input, input_file, expect',
      "m.test.yaml:14:5: tests[2]: missing required key 'name'",
      "m.test.yaml:14:5: tests[2]: missing required key 'input' (or 'input_file')",
      "m.test.yaml:14:5: tests[2]: missing required key 'expect'",
    ]);
    // The caret sits under the column.
    expect(r.err).toContain('m.test.yaml:6:23: tests[0]');
    expect(r.err).toContain('      - { $watermark: yesterday }\n                      ^\n');
    expect(r.err).toContain('5 passed, 0 failed, 1 malformed test file');
  });

  it('invalid YAML and a missing path are user errors', async () => {
    const dir = project({ 'y.test.yaml': 'tests: [\n' });
    const r = await vigil(['test', 'y.test.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^y\.test\.yaml:\d+:\d+: invalid YAML: /m);
    const missing = await vigil(['test', 'nowhere'], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file or directory: nowhere');
  });

  it('a broken pattern file fails the tests that use it with the compiler error', async () => {
    const dir = project({
      'broken.pattern': 'source s event time ts\npattern p from s define a as nosuch(1) match a\n',
      'b.test.yaml': 'patterns: broken.pattern\npattern: p\ntests:\n  - name: t\n    input: []\n    expect: { matches: [] }\n',
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAIL b\.test\.yaml:4:5 t: the test cannot run\n {2}broken\.pattern:2:\d+: .*nosuch/);
  });

  it('an unknown stream in expect.streams is reported at its key', async () => {
    const dir = project({
      's.test.yaml': 'patterns: pair.pattern\nvalidate: false\ntests:\n  - name: t\n    input: []\n    expect:\n      streams:\n        nosuch: []\n',
    });
    const r = await vigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("s.test.yaml:8:9: expect.streams: no stream 'nosuch' in the program (streams: none)");
  });
});

describe('README "Testing rules"', () => {
  it('the example test file passes against the shipped rules', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing rules'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const dir = tempDir({ 'readme.test.yaml': yaml as string });
    const r = await vigil(['test'], dir);
    expect(r.err).toContain('1 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});
