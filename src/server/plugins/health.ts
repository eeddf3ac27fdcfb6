/** `/healthz` (the process answers) and `/readyz` (the service takes traffic): open to all, for probes. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';

export interface HealthOptions {
  readonly control: ServiceControl;
}

const probe = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, state: { type: 'string' } },
} as const;

export const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, { control }) => {
  app.get(
    '/healthz',
    {
      schema: { tags: ['probes'], summary: 'The process is up', response: { 200: probe } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['probes'],
        summary: 'Ready to take traffic: partitions assigned and restored, Kafka and Redis reachable',
        description: '200 when ready; 503 with the service state (starting, standby, stopping, stopped, failed) otherwise.',
        response: { 200: probe, 503: probe },
      },
    },
    async (_request, reply) => {
      const state = control.status().state;
      if (control.ready()) return { status: 'ready', state };
      return reply.code(503).send({ status: 'not ready', state });
    },
  );
};
