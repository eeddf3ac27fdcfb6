/**
 * `/api/webhooks`: the rules' webhook routes (queue depth, attempts, failures, breaker state), each route's dead
 * letters, and retrying them one by one or all at once. Reads follow the read guard, retries want the token.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { ref } from '../schemas.js';

export interface WebhooksOptions {
  readonly control: ServiceControl;
  readonly guards: Guards;
}

export const DEAD_LETTER_PAGE = { default: 50, max: 500 } as const;

const routeParam = { type: 'string', maxLength: 200, description: 'A route id from GET /api/webhooks.' } as const;
const jobParam = { type: 'string', maxLength: 300, description: 'A dead letter id from the dead-letter list.' } as const;
// Query values are strings (the server coerces nothing): whole numbers are checked by pattern and read here.
const wholeNumber = { type: 'string', pattern: '^[0-9]{1,9}$' } as const;

function noRoute(route: string): ApiError {
  return new ApiError(404, ErrorCode.webhookRouteNotFound, `no webhook route '${route.slice(0, 200)}' (GET /api/webhooks lists them)`);
}

export const webhooksPlugin: FastifyPluginAsync<WebhooksOptions> = async (app, { control, guards }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const writeSecurity = guards.writesNeedToken ? { security: bearerSecurity } : {};

  app.get(
    '/api/webhooks',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['webhooks'],
        summary: 'The webhook routes',
        description:
          "Every webhook route of the enabled rules: settings, jobs by state (from Redis, shared by the group), this process's circuit breaker and counters.",
        ...readSecurity,
        response: {
          200: { type: 'object', required: ['routes'], properties: { routes: { type: 'array', items: ref('WebhookRoute') } } },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ routes: await control.webhooks.routes() }),
  );

  app.get<{ Params: { route: string }; Querystring: { offset?: string; limit?: string } }>(
    '/api/webhooks/:route/dead',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['webhooks'],
        summary: "A route's dead letters",
        description: `Alerts whose attempts ran out or that the receiver refused (4xx), newest first, paged by offset and limit (default ${DEAD_LETTER_PAGE.default}, at most ${DEAD_LETTER_PAGE.max}).`,
        ...readSecurity,
        params: { type: 'object', required: ['route'], properties: { route: routeParam } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { offset: { ...wholeNumber, description: 'Default 0.' }, limit: { ...wholeNumber, description: `1 to ${DEAD_LETTER_PAGE.max}.` } },
        },
        response: { 200: ref('WebhookDeadLetters'), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const offset = Number(request.query.offset ?? 0);
      const limit = Number(request.query.limit ?? DEAD_LETTER_PAGE.default);
      if (limit < 1 || limit > DEAD_LETTER_PAGE.max) throw new ApiError(400, ErrorCode.badRequest, `limit must be from 1 to ${DEAD_LETTER_PAGE.max}`);
      const page = await control.webhooks.deadLetters(request.params.route, offset, limit);
      if (page === null) throw noRoute(request.params.route);
      return page;
    },
  );

  app.post<{ Params: { route: string; id: string } }>(
    '/api/webhooks/:route/dead/:id/retry',
    {
      onRequest: guards.write,
      schema: {
        tags: ['webhooks'],
        summary: 'Send one dead letter again',
        description: 'The alert goes back to the queue with all its attempts; it keeps its id, so a receiver that got it before can tell.',
        ...writeSecurity,
        params: { type: 'object', required: ['route', 'id'], properties: { route: routeParam, id: jobParam } },
        response: {
          202: {
            type: 'object',
            required: ['route', 'id', 'state'],
            properties: { route: { type: 'string' }, id: { type: 'string' }, state: { type: 'string', enum: ['waiting'] } },
          },
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { route, id } = request.params;
      const result = await control.webhooks.retry(route, id);
      if (result === 'no-route') throw noRoute(route);
      if (result === 'not-found') throw new ApiError(404, ErrorCode.deadLetterNotFound, `route '${route}' has no job '${id.slice(0, 300)}'`);
      if (result === 'not-dead')
        throw new ApiError(409, ErrorCode.notDeadLetter, `job '${id.slice(0, 300)}' of route '${route}' is not a dead letter (it is queued or delivered)`);
      return reply.code(202).send({ route, id, state: 'waiting' });
    },
  );

  app.post<{ Params: { route: string } }>(
    '/api/webhooks/:route/dead/retry',
    {
      onRequest: guards.write,
      schema: {
        tags: ['webhooks'],
        summary: 'Send every dead letter of a route again',
        description: 'Each goes back to the queue with all its attempts. Answers with how many.',
        ...writeSecurity,
        params: { type: 'object', required: ['route'], properties: { route: routeParam } },
        response: {
          202: { type: 'object', required: ['route', 'retried'], properties: { route: { type: 'string' }, retried: { type: 'integer' } } },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const retried = await control.webhooks.retryAll(request.params.route);
      if (retried === null) throw noRoute(request.params.route);
      return reply.code(202).send({ route: request.params.route, retried });
    },
  );
};
