import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { liveDay } from '../../app/day-results.js';
import { isDay } from '../../app/days.js';
import { outputPath } from '../../app/program.js';
import { computeFinal, DEFAULT_FLOW_STREAM, finalDay, formatDayReport } from '../../app/rerun.js';
import { SERVICE_DEFAULTS } from '../../app/service/service.js';
import { loadTrafficProgram } from '../../app/traffic.js';
import { DEFAULT_RUN_LINES } from '../../io/external-sort.js';
import { alertHistoryKeys } from '../../io/redis/alert-history.js';
import { RedisAlertHistory } from '../../io/redis/alert-history-reader.js';
import { connectRedis, DEFAULT_REDIS_URL } from '../../io/redis/client.js';
import { DayStore, dayKeys } from '../../io/redis/day-store.js';
import { HELP, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { parseTimeZone } from '../time-zone.js';

const usage = `usage: vigil rerun --day YYYY-MM-DD --input day.ndjson[.gz] [--group ${SERVICE_DEFAULTS.group}] [--redis ${DEFAULT_REDIS_URL}]
                   [--patterns dir] [--rules dir] [--checkpoints file] [--time-zone ZONE]
                   [--flow-stream ${DEFAULT_FLOW_STREAM}] [--first-seen-prefix P | --known-vehicles truth.json]
                   [--sort-run-lines ${DEFAULT_RUN_LINES}] [--report report.json] [--dry-run]

The next-morning re-run. Cameras that were offline flush their records hours late, after the live windows and
patterns had moved on, so the live results of the day miss them. This runs the same rules (--patterns, --rules,
--checkpoints: give the service's) over the day's full input, sorted by event time first (nothing in it is late),
and keeps the alerts whose event time is in the day and the flow of the --flow-stream windows that start in it, per
checkpoint. The sort holds at most --sort-run-lines input lines in memory: sorted runs go to temporary files (in
TMPDIR: about twice the uncompressed day's size at the peak) and are merged; equal times keep the file's order. The day runs from midnight to midnight in --time-zone
(env VIGIL_TIME_ZONE; default the registry's time_zone, else UTC: the service's zone). The input may start before
the day (a warm-up for the rules' baselines).

It then reads what the service of --group (env VIGIL_GROUP) produced live for that day from Redis (--redis, env
VIGIL_REDIS): every alert it raised for the day, by the day index of alerts it keeps beside its capped alert
history (so a day with more alerts than --alert-history still compares right), and the flow it recorded with
'vigil serve --day-flow STREAM'. For a day the service kept no index of (a service older than the index), the live
alerts are only those the history still holds, and the report says so: alerts trimmed from it would count as
added. It prints what changed: alerts added and withdrawn (by id), the flow corrected per checkpoint (live ->
final). Unless --dry-run, it publishes the final results, which the service's /api/days/DAY and dashboard then
show, marked final, instead of the live ones. --report writes the final results with the report as JSON.
A re-run may be repeated (a later one replaces the earlier); the live alert history itself is left as it is.
first_seen: give the service's --first-seen-prefix to judge sightings against its store in Redis (it answers a
sighting it already judged as it did live, and judges the late ones by event time); without it first_seen is kept
in memory for the run, from the input alone (seeded with --known-vehicles).
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        day: { type: 'string' },
        input: { type: 'string' },
        group: { type: 'string' },
        redis: { type: 'string' },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        'time-zone': { type: 'string' },
        'flow-stream': { type: 'string' },
        'known-vehicles': { type: 'string' },
        'first-seen-prefix': { type: 'string' },
        'sort-run-lines': { type: 'string' },
        report: { type: 'string' },
        'dry-run': { type: 'boolean' },
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
  const day = values.day;
  if (day === undefined) throw new UserError(`--day is required\n${usage}`);
  if (!isDay(day)) throw new UserError(`--day must be a date YYYY-MM-DD, got '${day}'`);
  const input = values.input ?? env['VIGIL_INPUT'];
  if (input === undefined) throw new UserError(`--input is required\n${usage}`);
  const runText = values['sort-run-lines'];
  const sortRunLines = runText === undefined ? undefined : Number(runText);
  if (sortRunLines !== undefined && !(Number.isInteger(sortRunLines) && sortRunLines > 0)) {
    throw new UserError(`--sort-run-lines must be a positive whole number, got '${runText}'`);
  }
  const report = values.report === undefined ? undefined : outputPath(values.report, io.cwd, '--report');
  const paths = {
    patterns: values.patterns ?? env['VIGIL_PATTERNS'],
    rules: values.rules ?? env['VIGIL_RULES'],
    checkpoints: values.checkpoints ?? env['VIGIL_CHECKPOINTS'],
  };
  const zoneText = values['time-zone'] ?? env['VIGIL_TIME_ZONE'];
  // The service's zone: the flag, else the registry's, else UTC.
  const zone = zoneText ?? loadTrafficProgram(paths, io.cwd).registry.timeZone ?? 'UTC';
  // A zone that is neither an offset nor a known name is refused before the input is read.
  const timeFormat = parseTimeZone(zone).format;
  const group = values.group ?? env['VIGIL_GROUP'] ?? SERVICE_DEFAULTS.group;
  const redisUrl = values.redis ?? env['VIGIL_REDIS'] ?? DEFAULT_REDIS_URL;
  const options = {
    cwd: io.cwd,
    input,
    day,
    zone,
    ...paths,
    flowStream: values['flow-stream'] ?? DEFAULT_FLOW_STREAM,
    ...(values['known-vehicles'] === undefined ? {} : { knownVehicles: values['known-vehicles'] }),
    ...(values['first-seen-prefix'] === undefined ? {} : { firstSeen: { redis: redisUrl, prefix: values['first-seen-prefix'] } }),
    ...(sortRunLines === undefined ? {} : { sortRunLines }),
  };
  const result = await computeFinal(options, io.stderr);
  io.stderr(`vigil rerun: sorted ${result.sort.lines} input line(s) by event time in ${result.sort.runs} run(s) of at most ${result.sort.maxHeld}\n`);
  let redis;
  try {
    redis = await connectRedis({ url: redisUrl, connectionName: `vigil-rerun-${group}` });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const history = new RedisAlertHistory({
    connect: () => connectRedis({ url: redisUrl, connectionName: `vigil-rerun-history-${group}` }),
    keys: alertHistoryKeys(group),
  });
  try {
    const store = new DayStore(redis, dayKeys(group));
    const live = await liveDay(history, store, day, zone);
    const final = finalDay(options, result, live, Date.now());
    const byId = new Map([...live.alerts, ...result.alerts].map((a) => [a.id, a]));
    io.stdout(formatDayReport(final, byId, timeFormat));
    if (report !== undefined) writeFileSync(report, `${JSON.stringify(final, null, 1)}\n`);
    if (values['dry-run'] === true) io.stderr(`vigil rerun: --dry-run: the final results of ${day} were not published\n`);
    else {
      await store.publishFinal(day, final.from, JSON.stringify(final));
      io.stderr(`vigil rerun: published the final results of ${day} for group ${group}: /api/days/${day}\n`);
    }
  } finally {
    await history.close();
    redis.disconnect();
  }
  return ExitCode.ok;
};
