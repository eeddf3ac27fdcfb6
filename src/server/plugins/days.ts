/**
 * `/api/days`: the days whose results the next-morning re-run made final, and `/api/days/:day`: one day's results,
 * the final ones (`final: true`, with what changed from the live ones) once published, else the live ones.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { DayResults, DayView } from '../../app/day-results.js';
import { isDay } from '../../app/days.js';
import type { Logger } from '../../core/index.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { ref } from '../schemas.js';

export interface DaysOptions {
  readonly days: DayResults;
  readonly guards: Guards;
  readonly log: Logger;
}

const flowSchema = { type: ['object', 'null'], additionalProperties: { type: 'number' }, description: 'Flow of the day per checkpoint.' } as const;

const reportSchema = {
  type: 'object',
  required: ['alerts', 'flow'],
  properties: {
    alerts: {
      type: 'object',
      required: ['live', 'final', 'added', 'withdrawn', 'unchanged'],
      properties: {
        live: { type: 'integer' },
        final: { type: 'integer' },
        added: { type: 'array', items: { type: 'string' }, description: 'Ids of final alerts the live service did not raise.' },
        withdrawn: { type: 'array', items: { type: 'string' }, description: 'Ids of live alerts the re-run does not raise.' },
        unchanged: { type: 'integer' },
        liveComplete: {
          type: 'boolean',
          description:
            'Whether the live alerts are every one the service raised for the day (its day index of alerts); false when it kept none for the day and the live side is what the capped alert history still held (an alert trimmed from it then counts as added). Absent in results published before the index.',
        },
      },
    },
    flow: {
      type: 'object',
      required: ['stream', 'liveRecorded', 'liveTotal', 'finalTotal', 'corrected'],
      properties: {
        stream: { type: 'string' },
        liveRecorded: { type: 'boolean' },
        liveTotal: { type: ['integer', 'null'] },
        finalTotal: { type: 'integer' },
        corrected: {
          type: 'array',
          items: {
            type: 'object',
            required: ['checkpoint', 'live', 'final'],
            properties: { checkpoint: { type: 'string' }, live: { type: ['integer', 'null'] }, final: { type: 'integer' } },
          },
        },
      },
    },
  },
} as const;

export const daysPlugin: FastifyPluginAsync<DaysOptions> = async (app, { days, guards, log }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const unavailable = (error: unknown): ApiError => {
    log.warn(`vigil serve: day results: ${(error as Error).message}`);
    return new ApiError(503, ErrorCode.unavailable, 'the day results (Redis) do not answer; try again');
  };

  app.get(
    '/api/days',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['days'],
        summary: 'Days with final results',
        description:
          'The days a re-run (`vigil rerun`) made final, newest first, with how many alerts it added and withdrew and how many checkpoints it corrected the flow of.',
        ...readSecurity,
        response: {
          200: {
            type: 'object',
            required: ['days'],
            properties: {
              days: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['day', 'final', 'computedAt', 'alerts', 'added', 'withdrawn', 'flowCorrected'],
                  properties: {
                    day: { type: 'string' },
                    final: { type: 'boolean' },
                    computedAt: { type: 'number' },
                    alerts: { type: 'integer' },
                    added: { type: 'integer' },
                    withdrawn: { type: 'integer' },
                    flowCorrected: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...errorResponses(401, 503),
        },
      },
    },
    async () => {
      try {
        return { days: await days.finalDays() };
      } catch (error) {
        throw unavailable(error);
      }
    },
  );

  app.get<{ Params: { day: string } }>(
    '/api/days/:day',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['days'],
        summary: "A day's results: final once re-run, else live",
        description:
          "The day's alerts (event time in the day, in the city's zone) and flow per checkpoint. After `vigil rerun` published the day they are the final ones (`final: true`) with `report`: the alerts added and withdrawn (by id) and the flow corrected per checkpoint (live and final). Before, they are the live ones (`final: false`): the alerts the history still holds and the flow the service recorded (`vigil serve --day-flow`; null without).",
        ...readSecurity,
        params: { type: 'object', required: ['day'], properties: { day: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } } },
        response: {
          200: {
            type: 'object',
            required: ['day', 'zone', 'from', 'to', 'final', 'alerts', 'flow'],
            properties: {
              day: { type: 'string' },
              zone: { type: 'string' },
              from: { type: 'number', description: "The day's first instant, epoch ms." },
              to: { type: 'number', description: "The next day's first instant, epoch ms." },
              final: { type: 'boolean' },
              computedAt: { type: 'number', description: 'When the re-run computed the final results (final days).' },
              alerts: { type: 'array', items: ref('Alert') },
              flow: flowSchema,
              report: reportSchema,
            },
          },
          ...errorResponses(400, 401, 503),
        },
      },
    },
    async (request) => {
      const { day } = request.params;
      if (!isDay(day)) throw new ApiError(400, ErrorCode.badRequest, `not a date: '${day}'`);
      let view: DayView;
      try {
        view = await days.day(day);
      } catch (error) {
        throw unavailable(error);
      }
      return view;
    },
  );
};
