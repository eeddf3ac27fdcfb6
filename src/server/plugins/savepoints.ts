/**
 * `/api/savepoints`: take a savepoint into a named folder under the savepoint directory, list the folders there,
 * delete one. Names are plain folder names (no separators, no `..`): checked before any path is built.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceControl } from '../../app/service/control.js';
import { ApiError, ErrorCode, errorResponses } from '../api-error.js';
import { bearerSecurity, type Guards, guarded } from '../auth.js';
import { deleteSavepoint, isSavepointName, listSavepoints, SAVEPOINT_NAME, savepointExists, savepointPath, timestampName } from '../savepoint-folders.js';
import { ref } from '../schemas.js';
import { OPTIONAL_BODY } from './docs.js';

export interface SavepointsOptions {
  readonly control: ServiceControl;
  readonly guards: Guards;
  readonly savepointDir: string;
  readonly now?: () => number;
}

const nameProperty = {
  type: 'string',
  maxLength: 128,
  description: `A folder name: ${SAVEPOINT_NAME.source}, no '..'.`,
} as const;

function checkedName(name: string): string {
  if (!isSavepointName(name)) {
    throw new ApiError(
      400,
      ErrorCode.invalidSavepointName,
      `'${name.slice(0, 140)}' is not a savepoint name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128, no '..'`,
    );
  }
  return name;
}

export const savepointsPlugin: FastifyPluginAsync<SavepointsOptions> = async (app, { control, guards, savepointDir, now = Date.now }) => {
  const readSecurity = guards.readsNeedToken ? { security: bearerSecurity } : {};
  const writeSecurity = guards.writesNeedToken ? { security: bearerSecurity } : {};

  app.post<{ Body: { name?: string } | undefined }>(
    '/api/savepoints',
    {
      onRequest: guards.write,
      // The body is optional: without one (and without a content-type) the savepoint gets a timestamp name.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['savepoints'],
        summary: 'Take a savepoint (vigil savepoint)',
        description:
          'Checkpoints every task of this process into a new folder under the savepoint directory, kept until deleted. The body is optional; the name defaults to savepoint-<UTC time>.',
        ...writeSecurity,
        [OPTIONAL_BODY]: true,
        body: { type: 'object', additionalProperties: false, properties: { name: nameProperty } },
        response: { 201: ref('SavepointTaken'), ...errorResponses(400, 401, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const name = checkedName(request.body?.name ?? timestampName(now()));
      const state = control.status().state;
      if (state !== 'running') throw new ApiError(409, ErrorCode.notRunning, `the service is ${state}: a savepoint needs a running task`);
      if (await savepointExists(savepointDir, name))
        throw new ApiError(409, ErrorCode.savepointExists, `a savepoint named '${name}' exists: pick another name or delete it`);
      const info = await control.savepoint(savepointPath(savepointDir, name));
      return reply.code(201).send({ name, ...info });
    },
  );

  app.get(
    '/api/savepoints',
    {
      ...guarded(guards.read),
      schema: {
        tags: ['savepoints'],
        summary: 'List the savepoints (vigil list)',
        description: 'Every folder under the savepoint directory, oldest first, with the JSON files it holds and their sizes.',
        ...readSecurity,
        response: {
          200: { type: 'object', required: ['savepoints'], properties: { savepoints: { type: 'array', items: ref('SavepointFolder') } } },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ savepoints: await listSavepoints(savepointDir) }),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/savepoints/:name',
    {
      onRequest: guards.write,
      schema: {
        tags: ['savepoints'],
        summary: 'Delete a savepoint',
        ...writeSecurity,
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const name = checkedName(request.params.name);
      if (!(await deleteSavepoint(savepointDir, name))) throw new ApiError(404, ErrorCode.savepointNotFound, `no savepoint named '${name}'`);
      return reply.code(204).send();
    },
  );
};
