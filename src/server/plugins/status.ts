/**
 * `/api/status`: what a wall screen shows about the job's health in one small answer: its state and readiness, the
 * watermark and how far it lags, the consumer lag, and the counts (records, dead letters, late, alerts), all read
 * from the service's status and metrics. With a replay (`vigil demo`), how far the replay got.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import { errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';

export interface ReplayProgress {
  readonly released: number;
  readonly total: number;
  /** The recording's time reached, epoch ms. */
  readonly time: number | null;
}

export interface StatusOptions {
  readonly control: ServiceControl;
  readonly guards: Guards;
  readonly replay?: () => ReplayProgress;
}

const nullableNumber = (description: string) => ({ type: ['number', 'null'], description }) as const;

const statusFeedSchema = {
  type: 'object',
  required: ['state', 'ready', 'watermark', 'watermarkLagMs', 'consumerLag', 'records', 'deadLetters', 'late', 'alerts', 'replay'],
  properties: {
    state: { type: 'string' },
    ready: { type: 'boolean' },
    watermark: nullableNumber('The lowest watermark of the running tasks, epoch ms; null before the first.'),
    watermarkLagMs: nullableNumber('The largest watermark lag of the tasks, ms (vigil_watermark_lag_ms); null when unknown.'),
    consumerLag: nullableNumber('Records not yet read from the input topic, summed over partitions (vigil_consumer_lag_records); null without Kafka.'),
    records: { type: 'number', description: 'Records read.' },
    deadLetters: { type: 'number' },
    late: { type: 'number', description: 'Late refusals, summed over operators.' },
    alerts: { type: 'number', description: 'Alerts raised by this process.' },
    replay: {
      type: ['object', 'null'],
      required: ['released', 'total', 'time'],
      properties: { released: { type: 'number' }, total: { type: 'number' }, time: { type: ['number', 'null'] } },
      description: 'A replayed recording (vigil demo): records released so far, in all, and the recording time reached.',
    },
  },
} as const;

export const statusPlugin: FastifyPluginAsync<StatusOptions> = async (app, { control, guards, replay }) => {
  app.get(
    '/api/status',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['job'],
        summary: 'Health at a glance: state, watermark, lag and counts',
        ...(guards.readsNeedToken ? { security: bearerSecurity } : {}),
        response: { 200: statusFeedSchema, ...errorResponses(401) },
      },
    },
    async () => {
      const status = control.status();
      const marks = status.tasks.map((t) => t.watermark).filter((w): w is number => w !== null);
      let lag: number | null = null;
      let consumerLag: number | null = null;
      for (const s of control.metrics.samples()) {
        if (!Number.isFinite(s.value)) continue;
        if (s.name === 'vigil_watermark_lag_ms') lag = Math.max(lag ?? s.value, s.value);
        else if (s.name === 'vigil_consumer_lag_records') consumerLag = (consumerLag ?? 0) + s.value;
      }
      return {
        state: status.state,
        ready: control.ready(),
        watermark: marks.length === 0 ? null : Math.min(...marks),
        watermarkLagMs: lag,
        consumerLag,
        records: control.metrics.total('vigil_records_in_total'),
        deadLetters: control.metrics.total('vigil_dead_letters_total'),
        late: control.metrics.total('vigil_late_records_total'),
        alerts: control.metrics.total('vigil_alerts_total'),
        replay: replay?.() ?? null,
      };
    },
  );
};
