/** `/api/job`: the service's status, and `/api/job/cancel`: a graceful stop (drain, checkpoint, commit, close). */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import type { Logger } from '../../core/index.js';
import { errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { ref } from '../schemas.js';

export interface JobOptions {
  readonly control: ServiceControl;
  readonly guards: Guards;
  readonly log: Logger;
}

export const jobPlugin: FastifyPluginAsync<JobOptions> = async (app, { control, guards, log }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const writeSecurity = guards.writesNeedToken ? { security: bearerSecurity } : {};

  app.get(
    '/api/job',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['job'],
        summary: "The service's status",
        ...readSecurity,
        response: { 200: ref('JobStatus'), ...errorResponses(401) },
      },
    },
    async () => control.status(),
  );

  let stopping: Promise<void> | undefined;
  app.post(
    '/api/job/cancel',
    {
      onRequest: guards.write,
      schema: {
        tags: ['job'],
        summary: 'Stop the service gracefully (vigil cancel)',
        description: 'Answers 202 at once, then stops consuming, drains, checkpoints, commits the offsets and exits 0.',
        ...writeSecurity,
        response: {
          202: { type: 'object', required: ['state'], properties: { state: { type: 'string', enum: ['stopping'] } } },
          ...errorResponses(401),
        },
      },
      onResponse: async (_request, reply) => {
        if (reply.statusCode !== 202 || stopping !== undefined) return;
        log.info('vigil serve: cancel requested over the API: draining, checkpointing and stopping');
        stopping = control.stop().catch((error: unknown) => log.warn(`vigil serve: stop failed: ${(error as Error).message}`));
      },
    },
    async (_request, reply) => reply.code(202).send({ state: 'stopping' }),
  );
};
