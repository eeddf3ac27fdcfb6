import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoService } from '../../app/live/demo.js';
import { DEFAULT_STREAM_BUFFER } from '../../app/live/stream-rings.js';
import { packageRoot } from '../../app/program.js';
import { stderrLogger } from '../../core/index.js';
import { DEFAULT_ALERT_HISTORY } from '../../io/redis/alert-history.js';
import { buildServer, listen } from '../../server/index.js';
import { HELP, positiveNumber, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { HTTP_DEFAULTS } from './serve.js';

/** The bundled recording: 50 minutes of the reference city (07:30-08:20, UTC+8) with one anomaly of each kind. */
export const DEMO_INPUT = join(packageRoot, 'fixtures', 'demo-traffic.ndjson.gz');
export const DEMO_TRUTH = join(packageRoot, 'fixtures', 'demo-truth.json');
/** The bundled city's zone. */
const DEMO_ZONE = 'Asia/Shanghai';
export const DEFAULT_PACE = 60;

const usage = `usage: vigil demo [--input file.ndjson[.gz]] [--known-vehicles truth.json] [--pace ${DEFAULT_PACE}] [--once]
                  [--patterns dir] [--rules dir] [--checkpoints file] [--time-zone ZONE] [--stream NAME ...]
                  [--stream-buffer ${DEFAULT_STREAM_BUFFER}] [--alert-history ${DEFAULT_ALERT_HISTORY}]
                  [--port ${HTTP_DEFAULTS.port}] [--host ${HTTP_DEFAULTS.host}] [--public-read]

The dashboard without Kafka or Redis: replays a recorded NDJSON file (gzip read as is) through every enabled rule
in embedded mode, paced in accelerated time (--pace 60: a minute of the recording a second), and serves the
dashboard at http://HOST:PORT/ with the API of 'vigil serve' (/api/alerts and its live stream, /api/streams,
/api/status, /api/vehicles/PLATE, /metrics, /docs). first_seen, the alert history (--alert-history alerts) and
the stream buffers (--stream-buffer records per stream) live in memory. By default it replays the bundled
fixtures/demo-traffic.ndjson.gz (50 minutes of the reference city with a cloned plate, a flow surge and drop, a jam
and two first entries; first_seen seeded from fixtures/demo-truth.json) in the city's zone (${DEMO_ZONE}).
When the replay ends the page keeps serving its results until Ctrl-C (SIGINT) or SIGTERM; --once exits at the end
of the replay instead. 'npm start' runs this command; 'npm start -- --pace 240' passes flags.
The token (VIGIL_TOKEN) and --public-read work as for 'vigil serve'; without a token only loopback is served.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        input: { type: 'string' },
        'known-vehicles': { type: 'string' },
        pace: { type: 'string' },
        once: { type: 'boolean' },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        'time-zone': { type: 'string' },
        stream: { type: 'string', multiple: true },
        'stream-buffer': { type: 'string' },
        'alert-history': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'public-read': { type: 'boolean' },
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
  const log = stderrLogger(io.stderr);
  const bundled = values.input === undefined;
  const zone = values['time-zone'] ?? env['VIGIL_TIME_ZONE'] ?? (bundled ? DEMO_ZONE : undefined);
  const knownVehicles = values['known-vehicles'] ?? (bundled ? DEMO_TRUTH : undefined);
  const portText = values.port ?? env['VIGIL_PORT'] ?? String(HTTP_DEFAULTS.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || portText.trim() === '')
    throw new UserError(`--port must be a port number (0 picks a free one), got '${portText}'`);
  const host = values.host ?? env['VIGIL_HOST'] ?? HTTP_DEFAULTS.host;
  const token = env['VIGIL_TOKEN'] === undefined || env['VIGIL_TOKEN'] === '' ? undefined : env['VIGIL_TOKEN'];
  const service = new DemoService({
    cwd: io.cwd,
    input: values.input === undefined ? DEMO_INPUT : resolve(io.cwd, values.input),
    ...(knownVehicles === undefined ? {} : { knownVehicles }),
    pace: positiveNumber('pace', values.pace ?? String(DEFAULT_PACE)),
    ...(values.patterns === undefined ? {} : { patterns: values.patterns }),
    ...(values.rules === undefined ? {} : { rules: values.rules }),
    ...(values.checkpoints === undefined ? {} : { checkpoints: values.checkpoints }),
    ...(zone === undefined ? {} : { timeZone: zone }),
    streams: values.stream ?? [],
    ...(values['stream-buffer'] === undefined ? {} : { streamBuffer: positiveNumber('stream-buffer', values['stream-buffer'], true) }),
    ...(values['alert-history'] === undefined ? {} : { alertHistory: positiveNumber('alert-history', values['alert-history'], true) }),
    log,
  });
  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const stoppedByUser = new Promise<void>((r) => (stopped = r));
  const stop = (): Promise<void> => {
    stopping ??= service.stop().finally(stopped);
    return stopping;
  };
  const server = await buildServer({
    control: service.control(stop),
    token,
    publicRead: values['public-read'] === true || /^(1|true|yes)$/i.test(env['VIGIL_PUBLIC_READ'] ?? ''),
    savepointDir: resolve(io.cwd, HTTP_DEFAULTS.savepointDir),
    log,
    alerts: service.alerts,
    streams: service.streams,
    vehicles: service.vehicles,
    dashboard: service.info,
    replay: () => service.replay(),
  });
  const onSignal = (signal: string): void => {
    log.info(`vigil demo: ${signal}: stopping`);
    void stop();
  };
  const onTerm = (): void => onSignal('SIGTERM');
  const onInt = (): void => onSignal('SIGINT');
  try {
    const url = await listen(server, { host, port });
    await service.start();
    const pace = service.info.replay?.pace ?? DEFAULT_PACE;
    io.stdout(`Vigil dashboard: ${url}/\n`);
    log.info(
      `vigil demo: replaying ${values.input ?? 'fixtures/demo-traffic.ndjson.gz'} at ${pace}x (a minute of it every ${+(60 / pace).toFixed(2)} s); Ctrl-C stops`,
    );
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    await Promise.race([service.done(), stoppedByUser]);
    const r = service.replay();
    if (!values.once && stopping === undefined) {
      log.info(`vigil demo: the replay ended (${r.released} records, ${service.alerts.size} alerts); still serving ${url}/ until Ctrl-C`);
      await stoppedByUser;
    } else {
      await stop();
      log.info(`vigil demo: ${r.released} of ${r.total} records replayed, ${service.alerts.size} alerts`);
    }
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await service.stop();
    await server.close();
  }
  return service.status().state === 'failed' ? ExitCode.internalError : ExitCode.ok;
};
