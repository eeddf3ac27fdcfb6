/** One delivery attempt: a signed POST with a time limit, and what its answer means for retrying. */
import type { WebhookHeaders } from './signing.js';

export type PostOutcome =
  /** 2xx: delivered. */
  | { readonly kind: 'delivered'; readonly status: number }
  /** The receiver is down, slow or failing (network error, timeout, 5xx, 408, 429): retry later; counts for the breaker. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** The receiver answered and refused this alert (other 4xx): retrying the same bytes will not help; a dead letter now. */
  | { readonly kind: 'refused'; readonly reason: string };

/** Statuses that say "not now" rather than "not this": retried. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

export async function postSigned(url: string, body: string, headers: WebhookHeaders, timeoutMs: number, abort?: AbortSignal): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-webhook', ...headers },
      body,
      signal: abort === undefined ? timeout : AbortSignal.any([timeout, abort]),
      redirect: 'manual',
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (timeout.aborted) return { kind: 'retry', reason: `no answer within ${timeoutMs} ms` };
    if (abort?.aborted === true) return { kind: 'retry', reason: 'stopped before an answer' };
    return { kind: 'retry', reason: `cannot reach ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
  }
  // The body is not needed; reading it frees the connection for the next delivery.
  await response.arrayBuffer().catch(() => undefined);
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 500 || RETRYABLE_4XX.has(status)) return { kind: 'retry', reason: `HTTP ${status}` };
  return { kind: 'refused', reason: `HTTP ${status}${status >= 300 && status < 400 ? ' (a redirect: give the final URL)' : ''}` };
}
