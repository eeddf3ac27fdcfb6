/**
 * `/api/alerts`: the recent alerts from the history in Redis, filtered and paged newest first, and
 * `/api/alerts/stream`: the same as Server-Sent Events, live, with `Last-Event-ID` resume.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../core/index.js';
import type { Severity } from '../../dsl/index.js';
import { type AlertEntry, type AlertFilter, type AlertHistory, isStreamId } from '../../io/redis/alert-history.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { ref } from '../schemas.js';

export const ALERTS_PAGE_DEFAULT = 50;
export const ALERTS_PAGE_MAX = 500;
/** A client this far behind on the live stream is cut off; it reconnects with Last-Event-ID and catches up. */
const SSE_MAX_BACKLOG_BYTES = 1024 * 1024;

export interface AlertsOptions {
  readonly history: AlertHistory;
  readonly guards: Guards;
  readonly log: Logger;
  /** Comment lines on an idle stream, so proxies keep it open and clients notice a dead one. Default 15 000 ms. */
  readonly heartbeatMs?: number;
  /** Streams open at once; one more is refused with 503 (each holds a socket and a follower). Default 256. */
  readonly maxStreams?: number;
}

const text = (description: string, maxLength = 256) => ({ type: 'string', maxLength, description }) as const;
const time = (description: string) => text(`${description}: epoch ms or an ISO 8601 time.`, 64);

const filterProperties = {
  rule: text('Only this rule id.'),
  severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'], description: 'Only this severity.' },
  key: text('Only this alert key (e.g. a plate).', 1024),
  from: time('Event time at or after'),
  to: time('Event time at or before'),
  detectedFrom: time('Detected at or after'),
  detectedTo: time('Detected at or before'),
} as const;

type FilterQuery = { [K in keyof typeof filterProperties]?: string };
type PageQuery = FilterQuery & { cursor?: string; limit?: string };
type StreamQuery = FilterQuery & { lastEventId?: string };

function timeOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^-?\d{1,16}$/.test(value) ? Number(value) : /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ApiError(400, ErrorCode.badRequest, `${name} must be epoch ms or an ISO 8601 time, got '${value.slice(0, 64)}'`);
  return ms;
}

function filterOf(q: FilterQuery): AlertFilter {
  const f: { -readonly [K in keyof AlertFilter]: AlertFilter[K] } = {};
  if (q.rule !== undefined) f.rule = q.rule;
  if (q.severity !== undefined) f.severity = q.severity as Severity;
  if (q.key !== undefined) f.key = q.key;
  f.eventFrom = timeOf('from', q.from);
  f.eventTo = timeOf('to', q.to);
  f.detectedFrom = timeOf('detectedFrom', q.detectedFrom);
  f.detectedTo = timeOf('detectedTo', q.detectedTo);
  for (const k of Object.keys(f) as (keyof AlertFilter)[]) if (f[k] === undefined) delete f[k];
  return f;
}

function streamId(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isStreamId(value))
    throw new ApiError(400, ErrorCode.badRequest, `${name} must be a stream entry id (like 1767225600000-0), got '${value.slice(0, 64)}'`);
  return value;
}

/** The history did not answer (Redis away): 503, the message for people, the cause in the log. */
function unavailable(log: Logger, error: unknown): ApiError {
  log.warn(`vigil serve: alert history: ${(error as Error).message}`);
  return new ApiError(503, ErrorCode.unavailable, 'the alert history (Redis) does not answer; try again');
}

function sseEvent(entry: AlertEntry): string {
  return `id: ${entry.id}\nevent: alert\ndata: ${JSON.stringify(entry.alert)}\n\n`;
}

export const alertsPlugin: FastifyPluginAsync<AlertsOptions> = async (app, { history, guards, log, heartbeatMs = 15_000, maxStreams = 256 }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const open = new Set<ServerResponse>();
  /** Streams open or getting ready: what the limit counts. */
  let active = 0;
  // Streams never end on their own: end them so the server can close.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const raw of open) raw.end();
  });

  app.get<{ Querystring: PageQuery }>(
    '/api/alerts',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['alerts'],
        summary: 'Recent alerts, newest first',
        description:
          "The job's alert history (a capped Redis stream shared by every process of the job, each alert once however often a replay emitted it), filtered and paged: pass `next` as `cursor` for the page before. A page may hold fewer than `limit` alerts and still have a `next` when the filter matched little of what was read.",
        ...readSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            cursor: text('The `next` of the page before: alerts older than this entry.', 41),
            limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: `Alerts per page, 1 to ${ALERTS_PAGE_MAX} (default ${ALERTS_PAGE_DEFAULT}).` },
          },
        },
        response: { 200: ref('AlertPage'), ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = filterOf(q);
      const before = streamId('cursor', q.cursor);
      const limit = q.limit === undefined ? ALERTS_PAGE_DEFAULT : Number(q.limit);
      if (limit < 1 || limit > ALERTS_PAGE_MAX) throw new ApiError(400, ErrorCode.badRequest, `limit must be 1 to ${ALERTS_PAGE_MAX}, got ${limit}`);
      let page: Awaited<ReturnType<AlertHistory['page']>>;
      try {
        page = await history.page(filter, { ...(before === undefined ? {} : { before }), limit });
      } catch (error) {
        throw unavailable(log, error);
      }
      return { alerts: page.alerts.map((e) => ({ entry: e.id, alert: e.alert })), next: page.next };
    },
  );

  app.get<{ Querystring: StreamQuery }>(
    '/api/alerts/stream',
    {
      ...guarded(guards.read),
      // A HEAD would open a stream whose headers Node sends only at its end.
      exposeHeadRoute: false,
      schema: {
        tags: ['alerts'],
        summary: 'Alerts live, as Server-Sent Events',
        description:
          'Each alert is an event `alert` whose `id` is its history entry and whose `data` is the alert JSON; comment lines keep an idle stream open. ' +
          'A client that reconnects with `Last-Event-ID` (or `lastEventId`) first gets every matching alert it missed that the history still holds, then the live ones, none twice. ' +
          'The filters are those of /api/alerts.',
        ...readSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, lastEventId: text('Resume after this entry (when the client cannot send the Last-Event-ID header).', 41) },
        },
        headers: { type: 'object', properties: { 'last-event-id': text('Resume after this entry.', 41) } },
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses(400, 401, 503),
        },
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.query);
      const header = request.headers['last-event-id'];
      const after = streamId('Last-Event-ID', (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId);
      if (active >= maxStreams) throw new ApiError(503, ErrorCode.unavailable, `${active} live alert streams are open, the most this server serves; try later`);
      active++;
      const raw = reply.raw;
      // Followed before the answer: a client that got its 200 misses no alert appended after it.
      let opened = false;
      const early: string[] = [];
      let ended = false;
      const send = (chunk: string): void => {
        if (ended) return;
        if (!opened) {
          early.push(chunk);
          return;
        }
        raw.write(chunk);
        if (raw.writableLength > SSE_MAX_BACKLOG_BYTES) end();
      };
      const follower = history.follow(
        after,
        filter,
        (entry) => send(sseEvent(entry)),
        (error) => {
          log.warn(`vigil serve: an alert stream stopped: ${error.message}`);
          send(
            `event: error\ndata: ${JSON.stringify({ error: { code: ErrorCode.unavailable, message: 'the alert history (Redis) does not answer; reconnect' } })}\n\n`,
          );
          end();
        },
      );
      const end = (): void => {
        if (ended) return;
        ended = true;
        active--;
        clearInterval(heartbeat);
        follower.stop();
        open.delete(raw);
        if (opened && !raw.writableEnded) raw.end();
      };
      let heartbeat: NodeJS.Timeout | undefined;
      // The client hangs up (also while the follower gets ready), or the server ended the stream.
      let clientGone = false;
      raw.on('close', () => {
        clientGone = true;
        end();
      });
      try {
        await follower.ready;
      } catch (error) {
        end();
        throw unavailable(log, error);
      }
      if (clientGone) return reply.hijack();
      // The follower failed between getting ready and this answer: nothing was sent yet, so say it as an error.
      if (ended) throw new ApiError(503, ErrorCode.unavailable, 'the alert history (Redis) does not answer; try again');
      if (closing) {
        end();
        throw new ApiError(503, ErrorCode.unavailable, 'the server is shutting down');
      }
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx would otherwise hold events back in its buffer.
        'x-accel-buffering': 'no',
      });
      raw.write(': vigil alerts\n\n');
      opened = true;
      open.add(raw);
      for (const chunk of early.splice(0)) send(chunk);
      heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
    },
  );
};
