/** The API's bearer token: compared in constant time, required on writes and (unless reads are public) on reads. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError, ErrorCode } from './api-error.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal strings, in time that depends on neither where they differ nor (hashed first) their lengths. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** OpenAPI: the routes that want the token say so (`security`), against this scheme. */
export const BEARER_SCHEME = 'bearer';
export const bearerSecurity = [{ [BEARER_SCHEME]: [] as string[] }];

/**
 * An onRequest hook that refuses a request without the right token (401, with `WWW-Authenticate: Bearer`).
 * Without a configured token it lets everything through: the server only listens on loopback then.
 */
export function requireToken(token: string | undefined): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (token === undefined) return done();
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && tokensEqual(given, token)) return done();
    void reply.header('www-authenticate', `Bearer realm="vigil"${given === undefined ? '' : ', error="invalid_token"'}`);
    done(
      given === undefined
        ? new ApiError(401, ErrorCode.tokenRequired, 'this route wants a bearer token (Authorization: Bearer $VIGIL_TOKEN)')
        : new ApiError(401, ErrorCode.tokenInvalid, "the bearer token is not the service's"),
    );
  };
}

/** What a plugin needs to guard its routes. */
export interface Guards {
  /** On every route that changes something. */
  readonly write: onRequestHookHandler;
  /** On /api reads: the token's check, or nothing with --public-read. */
  readonly read: onRequestHookHandler | undefined;
  /** Whether reads want the token (for the OpenAPI document). */
  readonly readsNeedToken: boolean;
  readonly writesNeedToken: boolean;
}

export function guards(token: string | undefined, publicRead: boolean): Guards {
  const check = requireToken(token);
  const readsNeedToken = token !== undefined && !publicRead;
  return { write: check, read: readsNeedToken ? check : undefined, readsNeedToken, writesNeedToken: token !== undefined };
}

/** A route's onRequest guard, when there is one (spread into the route's options). */
export function guarded(hook: onRequestHookHandler | undefined): { onRequest?: onRequestHookHandler } {
  return hook === undefined ? {} : { onRequest: hook };
}
