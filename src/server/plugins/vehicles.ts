/** `/api/vehicles/:plate`: a vehicle's recent sightings in event-time order, with the gap since the one before. */
import type { FastifyPluginAsync } from 'fastify';
import type { VehicleLookup } from '../../app/live/vehicle-sightings.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';

export interface VehiclesOptions {
  readonly vehicles: VehicleLookup;
  readonly guards: Guards;
  /** The registry's names of checkpoints, for the answer. */
  readonly placeName: (checkpoint: string) => string | undefined;
}

const sightingSchema = {
  type: 'object',
  required: ['checkpoint', 'name', 'ts', 'gapS', 'plate_color', 'direction', 'speed', 'lane'],
  properties: {
    checkpoint: { type: 'string' },
    name: { type: ['string', 'null'], description: "The checkpoint's name in the registry." },
    ts: { type: 'number', description: 'Event time, epoch ms.' },
    gapS: { type: ['number', 'null'], description: 'Seconds since the sighting before (null for the first).' },
    plate_color: { type: ['string', 'null'] },
    direction: { type: ['string', 'null'] },
    speed: { type: ['number', 'null'] },
    lane: { type: ['number', 'null'] },
  },
} as const;

export const vehiclesPlugin: FastifyPluginAsync<VehiclesOptions> = async (app, { vehicles, guards, placeName }) => {
  app.get<{ Params: { plate: string } }>(
    '/api/vehicles/:plate',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['vehicles'],
        summary: "A vehicle's sightings (its trajectory so far)",
        description:
          'The captures of this plate the service still holds (the embedded service keeps the latest 500 per vehicle, for the 200 000 vehicles seen most recently), oldest first. 404 when the plate was not seen.',
        ...(guards.readsNeedToken ? { security: bearerSecurity } : {}),
        params: { type: 'object', required: ['plate'], properties: { plate: { type: 'string', minLength: 1, maxLength: 32 } } },
        response: {
          200: {
            type: 'object',
            required: ['plate', 'sightings'],
            properties: { plate: { type: 'string' }, sightings: { type: 'array', items: sightingSchema } },
          },
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const plate = request.params.plate.trim();
      const list = vehicles.sightings(plate);
      if (list.length === 0) throw new ApiError(404, ErrorCode.notFound, `no sighting of ${plate.slice(0, 32)}`);
      return {
        plate: list[0]?.plate ?? plate,
        sightings: list.map((s, i) => ({
          checkpoint: s.checkpoint,
          name: placeName(s.checkpoint) ?? null,
          ts: s.ts,
          gapS: i === 0 ? null : Math.round((s.ts - (list[i - 1]?.ts ?? s.ts)) / 100) / 10,
          plate_color: s.plate_color,
          direction: s.direction,
          speed: s.speed,
          lane: s.lane,
        })),
      };
    },
  );
};
