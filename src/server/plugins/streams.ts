/**
 * `/api/streams`: the recent records of the streams the service keeps (every `--stream`, and the dashboard's the
 * program has), read by sequence number, and followed live as Server-Sent Events: several streams on one
 * connection (browsers open at most six per host), each record once, resumable from the positions it last saw.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { StreamEntry, StreamFeed } from '../../app/live/stream-rings.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';

export const STREAM_PAGE_DEFAULT = 1000;
export const STREAM_PAGE_MAX = 20_000;
/** A client this far behind is cut off; it reconnects with Last-Event-ID and catches up from the ring. */
const SSE_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

export interface StreamsOptions {
  readonly feed: StreamFeed;
  readonly guards: Guards;
  readonly heartbeatMs?: number;
  /** Live connections open at once; one more is refused with 503. Default 256. */
  readonly maxStreams?: number;
}

const entrySchema = {
  type: 'object',
  required: ['seq', 'time', 'record'],
  properties: {
    seq: { type: 'integer', description: "The record's number in its stream, from 1." },
    time: { type: 'number', description: 'Event time, epoch ms (a window result: its window end).' },
    record: { type: 'object', additionalProperties: true },
  },
} as const;

const nameSchema = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' } as const;

/** `a:12,b:40`: the last seq seen per stream (what a live event's id carries, for Last-Event-ID). */
export function parsePositions(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (text === undefined || text === '') return out;
  for (const part of text.split(',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]{0,127}):(\d{1,15})$/.exec(part.trim());
    if (m === null) throw new ApiError(400, ErrorCode.badRequest, `positions must look like name:seq,name:seq, got '${text.slice(0, 64)}'`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

const formatPositions = (positions: ReadonlyMap<string, number>): string => [...positions].map(([n, s]) => `${n}:${s}`).join(',');

export const streamsPlugin: FastifyPluginAsync<StreamsOptions> = async (app, { feed, guards, heartbeatMs = 15_000, maxStreams = 256 }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const open = new Set<ServerResponse>();
  let active = 0;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const raw of open) raw.end();
  });

  const known = (name: string): void => {
    if (!feed.has(name))
      throw new ApiError(
        404,
        ErrorCode.notFound,
        `no stream '${name.slice(0, 128)}' is kept (kept: ${
          feed
            .list()
            .map((s) => s.name)
            .join(', ') || 'none'
        })`,
      );
  };

  app.get(
    '/api/streams',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['streams'],
        summary: 'The streams kept for reading',
        description: "Each stream's ring: records kept now, produced since the start, the ring's capacity and the newest seq.",
        ...readSecurity,
        response: {
          200: {
            type: 'object',
            required: ['streams'],
            properties: {
              streams: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'kept', 'total', 'capacity', 'last'],
                  properties: {
                    name: { type: 'string' },
                    kept: { type: 'integer' },
                    total: { type: 'integer' },
                    capacity: { type: 'integer' },
                    last: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ streams: feed.list() }),
  );

  const liveSchema = (summary: string, withNames: boolean) => ({
    tags: ['streams'],
    summary,
    description:
      'Each record is an event named after its stream whose `data` is `{seq, time, record}` and whose `id` is the last seq seen of every stream followed (`a:12,b:40`). ' +
      'First the kept records after `after` (default: every kept record), then the live ones, none twice; a client that reconnects with `Last-Event-ID` resumes where it was. ' +
      'A client that falls more than 4 MiB behind is disconnected and resumes the same way; records the ring forgot meanwhile are lost to it.',
    ...readSecurity,
    ...(withNames ? {} : { params: { type: 'object', required: ['name'], properties: { name: nameSchema } } }),
    querystring: {
      type: 'object',
      additionalProperties: false,
      ...(withNames ? { required: ['names'] } : {}),
      properties: {
        ...(withNames ? { names: { type: 'string', maxLength: 2048, description: 'Stream names, comma separated.' } } : {}),
        after: { type: 'string', maxLength: 4096, description: 'Resume after these positions: name:seq,name:seq.' },
      },
    },
    headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 4096 } } },
    response: {
      200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      ...errorResponses(400, 401, 404, 503),
    },
  });

  app.get<{ Params: { name: string }; Querystring: { since?: string; limit?: string } }>(
    '/api/streams/:name',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['streams'],
        summary: "A stream's kept records after a sequence number",
        description:
          "The records with seq greater than `since` (default 0: all kept), oldest first, at most `limit` (the newest ones when more are kept). `last` is the next call's `since`; `missed` counts the records after `since` left out (forgotten by the ring or beyond `limit`).",
        ...readSecurity,
        params: { type: 'object', required: ['name'], properties: { name: nameSchema } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'string', pattern: '^[0-9]{1,15}$' },
            limit: { type: 'string', pattern: '^[0-9]{1,5}$', description: `1 to ${STREAM_PAGE_MAX} (default ${STREAM_PAGE_DEFAULT}).` },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['name', 'records', 'last', 'missed'],
            properties: { name: { type: 'string' }, records: { type: 'array', items: entrySchema }, last: { type: 'integer' }, missed: { type: 'integer' } },
          },
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      known(name);
      const limit = request.query.limit === undefined ? STREAM_PAGE_DEFAULT : Number(request.query.limit);
      if (limit < 1 || limit > STREAM_PAGE_MAX) throw new ApiError(400, ErrorCode.badRequest, `limit must be 1 to ${STREAM_PAGE_MAX}, got ${limit}`);
      const slice = feed.since(name, Number(request.query.since ?? 0), limit);
      return { name, records: slice.entries, last: slice.last, missed: slice.missed };
    },
  );

  const live = (names: readonly string[], after: string | undefined, reply: FastifyReply): void => {
    for (const name of names) known(name);
    const positions = new Map(names.map((n) => [n, 0]));
    for (const [n, seq] of parsePositions(after)) if (positions.has(n)) positions.set(n, seq);
    if (closing) throw new ApiError(503, ErrorCode.unavailable, 'the server is shutting down');
    if (active >= maxStreams) throw new ApiError(503, ErrorCode.unavailable, `${active} live streams are open, the most this server serves; try later`);
    active++;
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    raw.write(': vigil streams\n\n');
    open.add(raw);
    let ended = false;
    const send = (name: string, entry: StreamEntry): void => {
      if (ended || entry.seq <= (positions.get(name) ?? 0)) return;
      positions.set(name, entry.seq);
      raw.write(`event: ${name}\nid: ${formatPositions(positions)}\ndata: ${JSON.stringify(entry)}\n\n`);
      if (raw.writableLength > SSE_MAX_BACKLOG_BYTES) end();
    };
    // Followed before the backlog is read: a record appended meanwhile is sent once (send skips seqs already sent).
    const stops = names.map((name) => feed.follow(name, (entry) => send(name, entry)));
    for (const name of names) {
      for (const entry of feed.since(name, positions.get(name) ?? 0, Number.MAX_SAFE_INTEGER).entries) send(name, entry);
    }
    const heartbeat = setInterval(() => {
      if (!ended) raw.write(': heartbeat\n\n');
    }, heartbeatMs);
    function end(): void {
      if (ended) return;
      ended = true;
      active--;
      clearInterval(heartbeat);
      for (const stop of stops) stop();
      open.delete(raw);
      if (!raw.writableEnded) raw.end();
    }
    raw.on('close', end);
  };

  app.get<{ Querystring: { names: string; after?: string } }>(
    '/api/streams/live',
    { ...guarded(guards.read), exposeHeadRoute: false, schema: liveSchema('Several streams live, as Server-Sent Events', true) },
    async (request, reply) => {
      const names = [...new Set(request.query.names.split(',').map((n) => n.trim()))].filter((n) => n !== '');
      if (names.length === 0) throw new ApiError(400, ErrorCode.badRequest, 'names must list at least one stream');
      const header = request.headers['last-event-id'];
      live(names, (Array.isArray(header) ? header[0] : header) ?? request.query.after, reply);
    },
  );

  app.get<{ Params: { name: string }; Querystring: { after?: string } }>(
    '/api/streams/:name/live',
    { ...guarded(guards.read), exposeHeadRoute: false, schema: liveSchema('One stream live, as Server-Sent Events', false) },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      live([request.params.name], (Array.isArray(header) ? header[0] : header) ?? request.query.after, reply);
    },
  );
};
