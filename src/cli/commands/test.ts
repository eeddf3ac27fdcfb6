/**
 * `vigil test [paths...]` — the rule author's test harness. Runs `*.test.yaml` files (directories are searched
 * recursively; default: the working directory) entirely in-process on a virtual clock, compares what each test's
 * pattern, rule or streams produce with what the test expects, prints a plain-text diff for every failure and a
 * summary line `N passed, N failed` (stderr). Exit 0 when all pass, 1 when a test fails or a test file is malformed,
 * 2 when the engine itself crashed. `--json` also writes one result per test to stdout as NDJSON.
 *
 * Test file format (YAML):
 *
 *   patterns: ../my.pattern        # pattern file(s) or dir(s), relative to this file; default the shipped patterns/
 *   rules: ../rules                # rule file(s) or dir(s) for `rule:` tests; default the shipped rules/
 *   checkpoints: ../cps.json       # checkpoint registry; default fixtures/checkpoints.json
 *   pattern: cloned_plate          # default target of every test (or `rule: cloned-plate`)
 *   params: { min_km: 2 }          # default parameter overrides
 *   validate: true                 # default record validation (see below)
 *   defaults: { plate_color: blue, speed: 60 }   # fields merged under every input record
 *   tests:
 *     - name: a real clone alerts  # unique in the file
 *       rule: cloned-plate         # what runs: `pattern: NAME` (raw matches and timeouts, as `vigil match`),
 *                                  # `rule: ID` (alerts, as `vigil run`; runs even if the rule is disabled),
 *                                  # or neither (only the program's streams, for `expect.streams`)
 *       params: { max_speed_kmh: 120 }   # overrides for the pattern (pattern default or rule value), checked
 *                                        # against the pattern's declared parameters and types ("30m" for durations)
 *       validate: true             # each source's validation as it declares (schema traffic, fields), as `vigil run`
 *                                  # (default for rule and stream tests); false: raw JSON events, as `vigil match`
 *                                  # (default for patterns); a source's `map` clauses apply either way
 *       unbounded: false           # true: no final watermark at the end of the input (--unbounded)
 *       defaults: { lane: 1 }      # more record defaults for this test
 *       input:                     # the timeline, in arrival order; a late arrival is simply written later
 *         - { id: r1, plate: A1, checkpoint: CP0001, ts: 2026-03-02T08:00:00Z }   # times: ISO-8601 or epoch ms
 *         - { $watermark: 2026-03-02T08:10:00Z }    # advance the watermark (never backwards)
 *         - { $clock: 1772438700000 }               # move the virtual processing-time clock (never backwards)
 *         - { $raw: 'not json' }                    # one raw input line, as is
 *       input_file: capture.ndjson # instead of input: an NDJSON file (relative to this file), read line by line
 *       # With several sources, input (or input_file) by source name, read in turn:
 *       #   input: { passes: [ ... ], bus_pings: [ ... ] }     input_file: { passes: a.ndjson, bus_pings: b.ndjson }
 *       expect:                    # each listed output is compared as a whole list; unlisted outputs are not checked
 *         alerts:                  # rule tests; [] asserts "no alert"
 *           - payload: { first: CP0001, second: CP0009 }
 *             evidence: { a: [r1], b: [r2] }
 *         matches:                 # pattern tests: { variable: [events...] } per match
 *           - { a: [r1], b: [r2] }
 *         timeouts: []             # pattern tests: timed-out partial matches, same shape
 *         late:                    # the run's late output: { operator, timestamp, record }
 *           - { operator: "stream:flow_15m:window", record: r9 }
 *         dead_letters:            # { reason, line (of the input entry in this file), raw }
 *           - { reason: "unknown_checkpoint: CP9999" }
 *         streams:                 # records of named streams (and `late into` streams)
 *           flow_15m: [ { checkpoint: CP0001, flow: 3 } ]
 *         order: strict            # strict: lists in output order (default); any: as multisets
 *         # instead of a list: {contains: [...]} (these items are among the output) or {count: n}
 *
 * Matching rules: a mapping checks only the keys it lists (so `payload: {...}` alone, or only some variables,
 * is fine), at any depth; a missing actual field equals null or []; a list must have the same length, item by
 * item; a string where the actual value is an object with an `id` is that id (`a: [r1]` means "one event, id
 * r1"); a string where the actual value is a number is an ISO-8601 time compared in epoch ms; anything else must
 * be equal. The virtual clock starts at the timeline's first time and follows the event time of each record as it
 * is read (a feed with no lag), so `detected_at` is deterministic. Each test gets a fresh first_seen store.
 * Entries are read one at a time, as a live feed delivers them: a validated record is checked against the watermark
 * of the moment (more than 1 h ahead of it is a `future_ts` dead letter), so let time pass with `$watermark` lines
 * rather than jumping hours between two records.
 */

import { parseArgs } from 'node:util';
import { HELP, withUsage } from '../flags.js';
import { type CliIo, type Command, ExitCode, processIo, UserError } from '../io.js';
import { type CaseResult, findTestFiles, runSuite } from '../test-harness/suite.js';

const usage = `usage: vigil test [paths...] [--filter TEXT] [--json]

Runs *.test.yaml files (directories are searched recursively; default: the working directory) in-process on a
virtual clock and compares each test's matches, timeouts, alerts, late records, dead letters and stream records
with what it expects. Prints a diff for each failure and 'N passed, N failed' on stderr; exit 1 if any test fails.
--filter TEXT runs only tests whose name contains TEXT; --json also prints one JSON result per test on stdout.
The file format is described in README.md ("Testing rules").
`;

export const run: Command = async (args, io) => {
  const parsed = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: { filter: { type: 'string', short: 't' }, json: { type: 'boolean' }, ...HELP },
      allowPositionals: true,
      strict: true,
    }),
  );
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const paint = painter(io);
  const files = findTestFiles(positionals.length > 0 ? positionals : ['.'], io.cwd);
  if (files.length === 0) throw new UserError(`no *.test.yaml files under ${(positionals.length > 0 ? positionals : ['.']).join(', ')}`);
  const summary = await runSuite(
    files,
    { cwd: io.cwd, ...(values.filter === undefined ? {} : { filter: values.filter }) },
    {
      fileErrors: (_file, text) => io.stderr(`${text}\n\n`),
      result: (r) => {
        io.stderr(describe(r, paint));
        if (values.json === true) io.stdout(`${JSON.stringify(jsonResult(r))}\n`);
      },
    },
  );
  const bad = summary.badFiles > 0 ? `, ${summary.badFiles} malformed test file${summary.badFiles === 1 ? '' : 's'}` : '';
  io.stderr(`${summary.passed} passed, ${summary.failed} failed${bad}\n`);
  if (summary.crashed > 0) return ExitCode.internalError;
  return summary.failed > 0 || summary.badFiles > 0 ? ExitCode.userError : ExitCode.ok;
};

function where(r: CaseResult): string {
  return `${r.file}:${r.test.pos.line}:${r.test.pos.col}`;
}

interface Paint {
  readonly ok: (s: string) => string;
  readonly fail: (s: string) => string;
}

/** Colour only for a person at a terminal: never into a pipe, a file or a test's captured io, nor with NO_COLOR. */
function painter(io: CliIo): Paint {
  const on = io === processIo && process.stderr.isTTY === true && io.env['NO_COLOR'] === undefined;
  const wrap = (code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { ok: wrap(32), fail: wrap(31) };
}

/** Human report of one test: a line for a pass; for a failure its location, name and the diff, indented. */
function describe(r: CaseResult, paint: Paint): string {
  const head = (status: string): string => `${status} ${where(r)} ${r.test.name}`;
  switch (r.status) {
    case 'passed':
      return `${paint.ok('ok  ')} ${where(r)} ${r.test.name}\n`;
    case 'failed':
      return `${paint.fail(head('FAIL'))}\n${r.diff.map((l) => `  ${l}\n`).join('')}\n`;
    case 'error':
      return `${paint.fail(head('FAIL'))}: the test cannot run\n${indent(r.errors)}\n`;
    case 'crashed':
      return `${paint.fail(head('FAIL'))}: internal error\n${indent(r.error)}\n`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}\n`)
    .join('');
}

function jsonResult(r: CaseResult): Record<string, unknown> {
  const base = { file: r.file, line: r.test.pos.line, col: r.test.pos.col, test: r.test.name, status: r.status };
  switch (r.status) {
    case 'passed':
      return base;
    case 'failed':
      return { ...base, diff: r.diff };
    case 'error':
      return { ...base, errors: r.errors };
    case 'crashed':
      return { ...base, error: r.error };
  }
}
