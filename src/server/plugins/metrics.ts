/** `/metrics`: the service's metrics and the process's, in the Prometheus text format. Open, for scrapers. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import { PrometheusBridge } from '../prometheus.js';

export interface MetricsOptions {
  readonly control: ServiceControl;
}

export const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (app, { control }) => {
  const bridge = new PrometheusBridge(control.metrics);
  app.addHook('onClose', async () => bridge.registry.clear());
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['probes'],
        summary: 'Prometheus metrics',
        description:
          'The core registry (records in, dead letters, late records, watermarks, CEP and window state, checkpoints) and process metrics (heap, event-loop lag).',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' } },
      },
    },
    async (_request, reply) => {
      const text = await bridge.scrape();
      return reply.type(bridge.contentType).send(text);
    },
  );
};
