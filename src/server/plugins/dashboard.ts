/**
 * The dashboard: the page at `/`, its script and style (shipped in the package under src/server/dashboard/), uPlot
 * from the installed package (no CDN: the service often runs without internet), and `/api/dashboard`, what the
 * page needs besides the streams (checkpoints, the city's zone, the rules, the replay).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { DashboardInfo } from '../../app/live/dashboard-info.js';
import { packageRoot } from '../../app/program.js';
import { errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';

export interface DashboardOptions {
  readonly info: DashboardInfo;
  readonly guards: Guards;
}

/** The page's files, from the package (the same folder whether Vigil runs from src/ or dist/). */
export const DASHBOARD_DIR = join(packageRoot, 'src', 'server', 'dashboard');

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

function loadAssets(): Map<string, Asset> {
  const uplot = dirname(createRequire(join(packageRoot, 'package.json')).resolve('uplot/dist/uPlot.iife.min.js'));
  const file = (path: string, type: string): Asset => ({ body: readFileSync(path), type });
  return new Map([
    ['/', file(join(DASHBOARD_DIR, 'index.html'), 'text/html; charset=utf-8')],
    ['/dashboard/app.js', file(join(DASHBOARD_DIR, 'app.js'), 'text/javascript; charset=utf-8')],
    ['/dashboard/style.css', file(join(DASHBOARD_DIR, 'style.css'), 'text/css; charset=utf-8')],
    ['/dashboard/vendor/uPlot.iife.min.js', file(join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8')],
    ['/dashboard/vendor/uPlot.min.css', file(join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}

// Only this origin's scripts, styles, connections and images: the page runs nothing from elsewhere.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, { info, guards }) => {
  const assets = loadAssets();
  for (const [path, asset] of assets) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', asset.type).header('cache-control', 'no-cache').header('content-security-policy', CSP).send(asset.body),
    );
  }

  app.get(
    '/api/dashboard',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['dashboard'],
        summary: 'What the dashboard page draws besides the streams',
        description: 'The checkpoints (registry positions), the zone times are shown in, the enabled rules, the streams kept, and the replay when it is one.',
        ...(guards.readsNeedToken ? { security: bearerSecurity } : {}),
        response: {
          200: {
            type: 'object',
            required: ['timeZone', 'checkpoints', 'rules', 'streams', 'replay', 'vehicleLookup', 'days'],
            properties: {
              timeZone: { type: 'string' },
              checkpoints: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'lat', 'lon', 'segment', 'kind', 'direction', 'road'],
                  properties: {
                    id: { type: 'string' },
                    name: { type: 'string' },
                    lat: { type: 'number' },
                    lon: { type: 'number' },
                    segment: { type: 'string' },
                    kind: { type: 'string' },
                    direction: { type: 'string' },
                    road: { type: ['string', 'null'] },
                  },
                },
              },
              rules: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'severity', 'description'],
                  properties: { id: { type: 'string' }, severity: { type: 'string' }, description: { type: 'string' } },
                },
              },
              streams: { type: 'array', items: { type: 'string' } },
              replay: { type: ['object', 'null'], required: ['input', 'pace'], properties: { input: { type: 'string' }, pace: { type: 'number' } } },
              vehicleLookup: { type: 'boolean' },
              days: { type: 'boolean', description: 'Whether /api/days answers (final days of the re-run).' },
            },
          },
          ...errorResponses(401),
        },
      },
    },
    async () => info,
  );
};
