/** `/healthz` (the process answers) and `/readyz` (the service takes traffic): open to all, for probes. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';

export interface HealthOptions {
  readonly control: ServiceControl;
}

const probe = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, state: { type: 'string' }, reason: { type: 'string' } },
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
        description:
          '200 when ready; 503 with the service state (starting, standby, stopping, stopped, failed) otherwise, and a reason when the service runs but cannot store its checkpoints.',
        response: { 200: probe, 503: probe },
      },
    },
    async (_request, reply) => {
      const status = control.status();
      const state = status.state;
      if (control.ready()) return { status: 'ready', state };
      const failure = status.checkpointFailure;
      // Running but not storing checkpoints: the probe says why (a restart now would replay from the last stored one).
      const reason =
        failure === undefined
          ? {}
          : { reason: `checkpoints not stored since ${new Date(failure.since).toISOString()} (${failure.failures} failed): ${failure.error}` };
      return reply.code(503).send({ status: 'not ready', state, ...reason });
    },
  );
};
