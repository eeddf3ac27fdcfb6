/**
 * `/api/vehicles/:plate`: a vehicle's trajectory (its sightings in event-time order, with the gap since the one
 * before, as the program's trajectory_steps stream computed it); `vigil serve` answers per day of the city's calendar
 * (`?day=YYYY-MM-DD`, default today).
 */
import type { FastifyPluginAsync } from 'fastify';
import { isDay } from '../../app/days.js';
import type { Sighting, VehicleLookup } from '../../app/live/trajectory.js';
import type { Logger } from '../../core/index.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';

export interface VehiclesOptions {
  readonly vehicles: VehicleLookup;
  readonly guards: Guards;
  /** The registry's names of checkpoints, for the answer. */
  readonly placeName: (checkpoint: string) => string | undefined;
  readonly log: Logger;
}

const sightingSchema = {
  type: 'object',
  required: ['checkpoint', 'name', 'ts', 'gapS', 'plate_color', 'direction', 'speed', 'lane'],
  properties: {
    checkpoint: { type: 'string' },
    name: { type: ['string', 'null'], description: "The checkpoint's name in the registry." },
    ts: { type: 'number', description: 'Event time, epoch ms.' },
    gapS: { type: ['number', 'null'], description: "Seconds since the vehicle's capture before, that day (null for its first)." },
    plate_color: { type: ['string', 'null'] },
    direction: { type: ['string', 'null'] },
    speed: { type: ['number', 'null'] },
    lane: { type: ['number', 'null'] },
  },
} as const;

export const vehiclesPlugin: FastifyPluginAsync<VehiclesOptions> = async (app, { vehicles, guards, placeName, log }) => {
  app.get<{ Params: { plate: string }; Querystring: { day?: string } }>(
    '/api/vehicles/:plate',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['vehicles'],
        summary: "A vehicle's trajectory: its sightings of the day",
        description:
          "`vigil serve`: the captures of this plate on `day` (a local date in the city's zone; default today), oldest first, the latest 1000 of the day (--trajectory-length), kept in Redis for three days after the day. " +
          '`vigil demo`: the captures the replay still holds (the latest 500 per vehicle, for the 200 000 vehicles seen most recently); `day` is ignored there and answered as null. 404 when the plate was not seen.',
        ...(guards.readsNeedToken ? { security: bearerSecurity } : {}),
        params: { type: 'object', required: ['plate'], properties: { plate: { type: 'string', minLength: 1, maxLength: 32 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { day: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'A local date, YYYY-MM-DD (default today).' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['plate', 'day', 'sightings'],
            properties: {
              plate: { type: 'string' },
              day: { type: ['string', 'null'], description: 'The local date answered for; null where sightings are not kept per day (the demo).' },
              sightings: { type: 'array', items: sightingSchema },
            },
          },
          ...errorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request) => {
      const plate = request.params.plate.trim();
      const asked = request.query.day;
      if (asked !== undefined && !isDay(asked)) throw new ApiError(400, ErrorCode.badRequest, `day must be a date YYYY-MM-DD, got '${asked}'`);
      const day = vehicles.byDay ? (asked ?? vehicles.today()) : null;
      let list: readonly Sighting[];
      try {
        list = await vehicles.sightings(plate, day ?? undefined);
      } catch (error) {
        log.warn(`vigil serve: vehicle lookup: ${(error as Error).message}`);
        throw new ApiError(503, ErrorCode.unavailable, 'the vehicle store (Redis) does not answer; try again');
      }
      if (list.length === 0) throw new ApiError(404, ErrorCode.notFound, `no sighting of ${plate.slice(0, 32)}${day === null ? '' : ` on ${day}`}`);
      return {
        plate: list[0]?.plate ?? plate,
        day,
        sightings: list.map((s) => ({
          checkpoint: s.checkpoint,
          name: placeName(s.checkpoint) ?? null,
          ts: s.ts,
          gapS: s.gap === null ? null : Math.round(s.gap / 100) / 10,
          plate_color: s.plate_color,
          direction: s.direction,
          speed: s.speed,
          lane: s.lane,
        })),
      };
    },
  );
};
