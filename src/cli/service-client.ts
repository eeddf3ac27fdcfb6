/**
 * The `vigil savepoint`, `vigil list` and `vigil cancel` side of a running service's REST API: one request, the
 * service's error shape turned into messages a person can act on. The token comes from VIGIL_TOKEN only.
 */
import { parseArgs } from 'node:util';
import { HELP, withUsage } from './flags.js';
import { type CliIo, type Command, ExitCode, UserError } from './io.js';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:8080';

export interface ServiceTarget {
  /** Without a trailing slash. */
  readonly url: string;
  readonly token: string | undefined;
}

/** `--url` (else VIGIL_URL, else the default) and VIGIL_TOKEN. */
export function serviceTarget(url: string | undefined, env: CliIo['env']): ServiceTarget {
  const text = url ?? env['VIGIL_URL'] ?? DEFAULT_SERVICE_URL;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UserError(`--url must be an http:// URL such as ${DEFAULT_SERVICE_URL}, got '${text}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`--url must be an http:// or https:// URL, got '${text}'`);
  const token = env['VIGIL_TOKEN'];
  return { url: text.replace(/\/+$/, ''), token: token === undefined || token === '' ? undefined : token };
}

/** The service refused the request (4xx) with its error body: the message for people, the body for details. */
export class ServiceRefusal extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The service answered, but with a failure of its own (5xx): an internal error, exit 2. */
export class ServiceFailure extends Error {
  override readonly name = 'ServiceFailure';
}

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  return typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string';
}

function unreachable(target: ServiceTarget, error: unknown): UserError {
  const e = error as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new UserError(`the Vigil service at ${target.url} did not answer in time`);
  const code = e.cause?.code;
  return new UserError(`no Vigil service answers at ${target.url}${code === undefined || code === 'ECONNREFUSED' ? '' : ` (${code})`}`);
}

export interface ServiceRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

/** Sends one request and returns the parsed JSON answer (undefined for 204); throws UserError or ServiceFailure. */
export async function callService(target: ServiceTarget, request: ServiceRequest): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  let text: string;
  try {
    response = await fetch(target.url + request.path, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
    });
    text = await response.text();
  } catch (error) {
    throw unreachable(target, error);
  }
  if (response.status === 204) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UserError(`${target.url} answered HTTP ${response.status}, not as a Vigil service: is --url right?`);
  }
  if (response.ok) return body;
  if (!isErrorBody(body)) throw new UserError(`${target.url} answered HTTP ${response.status}, not as a Vigil service: is --url right?`);
  const { code, message } = body.error;
  if (code === 'token_required') throw new UserError('the service wants a token: set VIGIL_TOKEN');
  if (code === 'token_invalid') throw new UserError('the service refused the token: check VIGIL_TOKEN');
  if (response.status >= 500) throw new ServiceFailure(message);
  throw new ServiceRefusal(message, response.status, code, body);
}

/** Runs a command's requests: a failure of the service itself is printed without a stack trace and exits 2. */
export async function againstService(io: CliIo, command: string, run: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ServiceFailure)) throw error;
    io.stderr(`vigil ${command}: the service failed: ${error.message}\n`);
    return ExitCode.internalError;
  }
}

/**
 * A command against a running service: parses `--url` (and the named string flags), prints the usage on --help,
 * and runs `body` with the target, turning connection and HTTP failures into the CLI's messages and exit codes.
 */
export function serviceCommand(
  name: string,
  usage: string,
  flags: readonly string[],
  body: (values: Readonly<Record<string, string | undefined>>, target: ServiceTarget, io: CliIo) => Promise<ExitCode>,
  /** Flags without a value; `body` sees them as 'true' when given. */
  switches: readonly string[] = [],
): Command {
  return async (args, io) => {
    const options: Record<string, { type: 'string' } | { type: 'boolean' } | (typeof HELP)['help']> = { url: { type: 'string' }, ...HELP };
    for (const f of flags) options[f] = { type: 'string' };
    for (const f of switches) options[f] = { type: 'boolean' };
    const { values } = withUsage(usage, () => parseArgs({ args: [...args], options, allowPositionals: false, strict: true }));
    if (values['help'] === true) {
      io.stdout(usage);
      return ExitCode.ok;
    }
    const strings: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'string') strings[k] = v;
    for (const f of switches) if (values[f] === true) strings[f] = 'true';
    const target = serviceTarget(strings['url'], io.env);
    return againstService(io, name, () => body(strings, target, io));
  };
}
