import { parseArgs } from 'node:util';
import { parseInputs, runTraffic } from '../../app/index.js';
import { AlertReport } from '../alert-report.js';
import { CEP_KEPT_BUDGET_HELP, CEP_STATE_BUDGET_HELP, cepKeptBudget, cepStateBudget, HELP, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { terminalProgress } from '../progress.js';
import { DEFAULT_MAX_DEAD_LETTERS, deadLetterVerdict, parseShare, refusalLines, summaryLine } from '../summary.js';
import { localTimeZone, parseTimeZone } from '../time-zone.js';

const usage = `usage: vigil run --input <file.ndjson|-> | --input SOURCE=<file.ndjson|-> ... [--patterns dir] [--rules dir] [--checkpoints file]
                 [--out alerts.ndjson] [--late late.ndjson] [--dead-letter dlq.ndjson]
                 [--stream NAME ...] [--unbounded] [--redis redis://host:port] [--first-seen-prefix P]
                 [--known-vehicles truth.json] [--max-dead-letters SHARE] [--format table|ndjson]
                 [--time-zone ZONE] [--cep-state-budget N] [--cep-kept-budget N]

Runs a bounded input to the end in embedded mode (no Kafka or Redis) with every enabled rule, and writes
alerts as NDJSON (stdout unless --out). One --input feeds the one source the rules read; with several sources,
give one --input SOURCE=FILE per source. Each source's records are validated as its declaration says
(schema traffic, declared fields, or none). On a terminal (and with --format table) stdout shows a report
instead: alerts per rule, one row per alert with its time in --time-zone (an offset such as +08:00 or a
name such as Asia/Shanghai; env VIGIL_TIME_ZONE; default this machine's zone), and where to look next.
A summary goes to stderr, with the dead letters by reason and the late records (records are counted
once, however many operators refused them). Records that fail validation go to --dead-letter with the
reason; records refused as late go to --late. The run exits 1 when more than --max-dead-letters of the
records are dead letters (a share or a percentage; default ${DEFAULT_MAX_DEAD_LETTERS}), and warns when no rule is enabled.
Each --stream NAME prints that stream's records to stdout as {"stream": NAME, ...record}.
--known-vehicles seeds first_seen(plate, plate_color) with a generator truth file's known_vehicles
(vehicles seen before the run). Defaults: the shipped patterns/, rules/ and fixtures/checkpoints.json.
first_seen keeps its sightings in memory for the run, or in Redis with --redis (env VIGIL_REDIS), where they
last across runs and processes; --first-seen-prefix names the key space (default vigil:first_seen:default:).
Output paths are checked before the input is read. Progress is shown on stderr when it is a terminal.
--time-zone is also the zone of the patterns' local_hour, local_weekday and local_date (there, default: the
registry's time_zone, else UTC); for those it must be an IANA name such as Asia/Shanghai.
${CEP_STATE_BUDGET_HELP}
${CEP_KEPT_BUDGET_HELP}
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        input: { type: 'string', multiple: true },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        out: { type: 'string' },
        late: { type: 'string' },
        'dead-letter': { type: 'string' },
        stream: { type: 'string', multiple: true },
        unbounded: { type: 'boolean' },
        redis: { type: 'string' },
        'first-seen-prefix': { type: 'string' },
        'known-vehicles': { type: 'string' },
        'max-dead-letters': { type: 'string' },
        format: { type: 'string' },
        'time-zone': { type: 'string' },
        'cep-state-budget': { type: 'string' },
        'cep-kept-budget': { type: 'string' },
        ...HELP,
      },
      allowPositionals: false,
      strict: true,
    }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const env = io.env;
  const given = values.input ?? (env['VIGIL_INPUT'] === undefined ? [] : [env['VIGIL_INPUT']]);
  if (given.length === 0) throw new UserError(`--input is required\n${usage}`);
  const input = parseInputs(given);
  const budget = {
    ...cepStateBudget(values['cep-state-budget'] ?? env['VIGIL_CEP_STATE_BUDGET']),
    ...cepKeptBudget(values['cep-kept-budget'] ?? env['VIGIL_CEP_KEPT_BUDGET']),
  };
  // What the progress bar and the report name: the one file, or the sources' files.
  const shown = typeof input === 'string' ? input : [...input.values()].join(', ');
  const maxDead = parseShare(values['max-dead-letters'] ?? env['VIGIL_MAX_DEAD_LETTERS'], '--max-dead-letters', DEFAULT_MAX_DEAD_LETTERS);
  const streams = values.stream ?? [];
  const alertsOnStdout = values.out === undefined || values.out === '-';
  const format = values.format ?? (io.stdoutIsTerminal === true && alertsOnStdout && streams.length === 0 ? 'table' : 'ndjson');
  if (format !== 'table' && format !== 'ndjson') throw new UserError(`--format must be table or ndjson, got '${format}'`);
  if (format === 'table' && !alertsOnStdout) throw new UserError('--format table shows the alerts on stdout: leave out --out (or use --format ndjson)');
  if (format === 'table' && streams.length > 0) throw new UserError('--stream prints records as NDJSON: use --format ndjson');
  const zoneText = values['time-zone'] ?? env['VIGIL_TIME_ZONE'];
  const zone = zoneText === undefined ? localTimeZone() : parseTimeZone(zoneText);
  const report = format === 'table' ? new AlertReport() : undefined;
  const progress = terminalProgress(io, 'vigil run', typeof input === 'string' ? input : '-');

  let summary;
  try {
    summary = await runTraffic(
      {
        cwd: io.cwd,
        input,
        patterns: values.patterns ?? env['VIGIL_PATTERNS'],
        rules: values.rules ?? env['VIGIL_RULES'],
        checkpoints: values.checkpoints ?? env['VIGIL_CHECKPOINTS'],
        timeZone: values['time-zone'] ?? env['VIGIL_TIME_ZONE'],
        out: values.out,
        late: values.late,
        deadLetter: values['dead-letter'],
        redis: values.redis ?? env['VIGIL_REDIS'],
        firstSeenPrefix: values['first-seen-prefix'] ?? env['VIGIL_FIRST_SEEN_PREFIX'],
        knownVehicles: values['known-vehicles'],
        streams,
        unbounded: values.unbounded === true,
        progress: progress?.update,
        ...budget,
      },
      { stdout: report?.write ?? io.stdout, stderr: io.stderr },
    );
  } finally {
    progress?.done();
  }
  if (report !== undefined) {
    io.stdout(
      report.render(
        summary.rules.map((r) => ({ id: r.rule.id, severity: r.rule.severity, description: r.rule.description })),
        zone,
        shown,
      ),
    );
  }
  io.stderr(`vigil run: ${summaryLine(summary, 'alerts')}`);
  if (summary.rules.length === 0) {
    const n = summary.ruleFiles;
    const rules = values.rules ?? env['VIGIL_RULES'] ?? 'rules/';
    io.stderr(
      `vigil run: warning: no rule is enabled (${n === 0 ? 'no rule files' : `${n} rule file${n === 1 ? '' : 's'}, all with enabled: false`} under ${rules}): no alert can come out\n`,
    );
  }
  io.stderr(refusalLines(summary, 'vigil run', { deadLetter: values['dead-letter'], late: values.late, hasFlags: true }));
  const verdict = deadLetterVerdict(summary, maxDead, 'vigil run');
  if (verdict !== null) {
    io.stderr(verdict);
    return ExitCode.userError;
  }
  return ExitCode.ok;
};
