/**
 * One error shape for every route: `{ "error": { "code", "message" } }`. Codes are stable (clients and the
 * `vigil` commands branch on them); messages are for people. No stack trace or internal detail reaches a client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UserError } from '../app/errors.js';
import type { Logger } from '../core/index.js';

export const ErrorCode = {
  badRequest: 'bad_request',
  invalidJson: 'invalid_json',
  bodyTooLarge: 'body_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  tokenRequired: 'token_required',
  tokenInvalid: 'token_invalid',
  notFound: 'not_found',
  invalidSavepointName: 'invalid_savepoint_name',
  savepointNotFound: 'savepoint_not_found',
  savepointExists: 'savepoint_exists',
  notRunning: 'not_running',
  ruleNotFound: 'rule_not_found',
  invalidRules: 'invalid_rules',
  topologyChanged: 'topology_changed',
  stateNotRestored: 'state_not_restored',
  reloadInProgress: 'reload_in_progress',
  webhookRouteNotFound: 'webhook_route_not_found',
  deadLetterNotFound: 'dead_letter_not_found',
  notDeadLetter: 'not_dead_letter',
  refused: 'refused',
  unavailable: 'unavailable',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** The shared schema of every error response, referenced as `{ $ref: 'ApiError#' }`. */
export const errorSchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'Every error response: a stable code and a message for people.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.values(ErrorCode) },
        message: { type: 'string' },
      },
    },
  },
} as const;

export const errorRef = { $ref: 'ApiError#' } as const;

/** Error responses by status, to spread into a route's `response` schema. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorRef> {
  return Object.fromEntries(statuses.map((s) => [s, errorRef]));
}

/** An error a handler means to send as is. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Fastify's own errors (parsing, validation, limits) by their code. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: ErrorCode; message?: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.bodyTooLarge },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCode.unsupportedMediaType, message: 'send JSON (content-type: application/json)' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCode.badRequest },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.invalidJson, message: 'the body is empty: send a JSON object or no content-type' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.invalidJson },
};

function classify(error: FastifyError): { status: number; code: ErrorCode; message: string } {
  if (error instanceof ApiError) return { status: error.statusCode, code: error.code, message: error.message };
  if (error.validation !== undefined) return { status: 400, code: ErrorCode.badRequest, message: error.message };
  const known = FASTIFY_CODES[error.code];
  if (known !== undefined) return { status: known.status, code: known.code, message: known.message ?? error.message };
  // JSON.parse's SyntaxError, raised by the body parser with a 400.
  if (error instanceof SyntaxError && error.statusCode === 400) return { status: 400, code: ErrorCode.invalidJson, message: 'the body is not valid JSON' };
  // The service's refusals (e.g. a savepoint asked of a member that stands by) are meant for people.
  if (error instanceof UserError) return { status: 409, code: ErrorCode.refused, message: error.message };
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return { status, code: ErrorCode.badRequest, message: error.message };
  return { status: 500, code: ErrorCode.internal, message: 'internal error (see the service log)' };
}

/** Installs the error and not-found handlers on the root instance; every plugin inherits them. */
export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, code, message } = classify(error);
    if (status >= 500) log.warn(`vigil serve: ${request.method} ${request.url} failed: ${error.stack ?? error.message}`);
    void reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    // The path is echoed for people, not whole: a URL may be 16 KiB.
    void reply.code(404).send(errorBody(ErrorCode.notFound, `no route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}...` : path}`));
  });
}
