export { type ErrorBody, ErrorCode } from './api-error.js';
export { BODY_LIMIT_BYTES, buildServer, isLoopback, type ListenOptions, listen, type ServerOptions, type VigilServer } from './server.js';
