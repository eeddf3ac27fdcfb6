/**
 * The HTTP server of `vigil serve`: one fastify instance, one encapsulated plugin per concern (probes, metrics,
 * job, savepoints, alerts, rules, webhooks, docs), all against a ServiceControl (and the alert history's read side)
 * and nothing else of the service.
 */
import { isIP } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DayResults } from '../app/day-results.js';
import { UserError } from '../app/errors.js';
import type { DashboardInfo } from '../app/live/dashboard-info.js';
import type { StreamFeed } from '../app/live/stream-rings.js';
import type { VehicleLookup } from '../app/live/trajectory.js';
import type { ServiceControl } from '../app/service/control.js';
import { type Logger, silentLogger } from '../core/index.js';
import type { AlertHistory } from '../io/redis/alert-history.js';
import { errorSchema, installErrorHandlers } from './api-error.js';
import { guards } from './auth.js';
import { alertsPlugin } from './plugins/alerts.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { daysPlugin } from './plugins/days.js';
import { docsPlugin, registerOpenApi } from './plugins/docs.js';
import { healthPlugin } from './plugins/health.js';
import { jobPlugin } from './plugins/job.js';
import { metricsPlugin } from './plugins/metrics.js';
import { rulesPlugin } from './plugins/rules.js';
import { savepointsPlugin } from './plugins/savepoints.js';
import { type ReplayProgress, statusPlugin } from './plugins/status.js';
import { streamsPlugin } from './plugins/streams.js';
import { vehiclesPlugin } from './plugins/vehicles.js';
import { webhooksPlugin } from './plugins/webhooks.js';
import { sharedSchemas } from './schemas.js';

/** Bodies larger than this are refused (413): the API takes a savepoint name at most (rule sets have their own limit). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** How long a client may take to send a whole request. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface ServerOptions {
  readonly control: ServiceControl;
  /** The bearer token (VIGIL_TOKEN); undefined leaves the API open, and the server then listens on loopback only. */
  readonly token: string | undefined;
  /** Let /api reads through without the token (writes always want it). */
  readonly publicRead: boolean;
  /** Where savepoints are written, listed and deleted. */
  readonly savepointDir: string;
  readonly log?: Logger;
  /** The clock of default savepoint names. */
  readonly now?: () => number;
  /** The job's alert history: /api/alerts and its live stream (left out without one). */
  readonly alerts?: AlertHistory;
  /** Heartbeat comments of the live alert stream. Default 15 000 ms. */
  readonly sseHeartbeatMs?: number;
  /** Live alert streams open at once; more are refused with 503. Default 256. */
  readonly maxAlertStreams?: number;
  /** The kept records of streams: /api/streams and its live stream (left out without). */
  readonly streams?: StreamFeed;
  /** A vehicle's sightings: /api/vehicles/:plate (left out without). */
  readonly vehicles?: VehicleLookup;
  /** The dashboard at `/` and /api/dashboard (left out without). */
  readonly dashboard?: DashboardInfo;
  /** Day results, live or made final by the re-run: /api/days (left out without). */
  readonly days?: DayResults;
  /** A replay's progress, for /api/status. */
  readonly replay?: () => ReplayProgress;
}

export type VigilServer = FastifyInstance;

/** Whether a server was built with a token, for `listen`'s loopback rule. */
const hasToken = new WeakMap<FastifyInstance, boolean>();

export async function buildServer(options: ServerOptions): Promise<VigilServer> {
  const log = options.log ?? silentLogger;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Unknown body fields and wrong types are refused rather than silently dropped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    return503OnClosing: true,
    // A client gets this long to send its request (headers and body); without it one that trickles bytes holds a
    // socket for ever. Responses (the live alert stream) are not limited by it.
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  hasToken.set(app, options.token !== undefined);
  // Browsers take every answer as the type it says (an error's JSON is never run as a script or a page).
  app.addHook('onRequest', async (_request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
  });
  installErrorHandlers(app, log);
  app.addSchema(errorSchema);
  for (const schema of sharedSchemas) app.addSchema(schema);
  await registerOpenApi(app);

  const guard = guards(options.token, options.publicRead);
  const { control } = options;
  await app.register(healthPlugin, { control });
  await app.register(metricsPlugin, { control });
  await app.register(jobPlugin, { control, guards: guard, log });
  await app.register(savepointsPlugin, {
    control,
    guards: guard,
    savepointDir: options.savepointDir,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (options.alerts !== undefined) {
    await app.register(alertsPlugin, {
      history: options.alerts,
      guards: guard,
      log,
      ...(options.sseHeartbeatMs === undefined ? {} : { heartbeatMs: options.sseHeartbeatMs }),
      ...(options.maxAlertStreams === undefined ? {} : { maxStreams: options.maxAlertStreams }),
    });
  }
  await app.register(rulesPlugin, { control, guards: guard });
  await app.register(webhooksPlugin, { control, guards: guard });
  await app.register(statusPlugin, { control, guards: guard, ...(options.replay === undefined ? {} : { replay: options.replay }) });
  if (options.streams !== undefined) {
    await app.register(streamsPlugin, {
      feed: options.streams,
      guards: guard,
      ...(options.sseHeartbeatMs === undefined ? {} : { heartbeatMs: options.sseHeartbeatMs }),
      ...(options.maxAlertStreams === undefined ? {} : { maxStreams: options.maxAlertStreams }),
    });
  }
  if (options.vehicles !== undefined) {
    const names = new Map((options.dashboard?.checkpoints ?? []).map((c) => [c.id, c.name]));
    await app.register(vehiclesPlugin, { vehicles: options.vehicles, guards: guard, log, placeName: (id) => names.get(id) });
  }
  if (options.days !== undefined) await app.register(daysPlugin, { days: options.days, guards: guard, log });
  if (options.dashboard !== undefined) await app.register(dashboardPlugin, { info: options.dashboard, guards: guard });
  await app.register(docsPlugin);
  await app.ready();
  return app;
}

/** Loopback: 127.0.0.0/8, ::1 (also as ::ffff:127.x) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0:){7}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/**
 * Listens and returns the address (`http://HOST:PORT`, the real port when `port` was 0). Refuses a host other
 * than loopback when the server has no token: the API would let anyone on the network stop the service.
 */
export async function listen(app: VigilServer, { host, port }: ListenOptions): Promise<string> {
  if (!isLoopback(host) && hasToken.get(app) !== true) {
    throw new UserError(`refusing to serve the API on ${host} without a token: set VIGIL_TOKEN, or listen on 127.0.0.1 (--host)`);
  }
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`cannot listen on ${host}:${port}: the address is in use (--port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
      throw new UserError(`cannot listen on ${host}:${port}: ${code} (--host, --port)`);
    throw error;
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${actual}`;
}
