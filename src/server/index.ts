export { buildServer, listen, isLoopback, BODY_LIMIT_BYTES, type ServerOptions, type ListenOptions, type VigilServer } from './server.js';
export { ErrorCode, type ErrorBody } from './api-error.js';
