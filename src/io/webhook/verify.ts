/**
 * For receivers of Vigil's webhooks: checks a delivery's Standard Webhooks signature and timestamp and returns the
 * alert. Pass the raw body exactly as received (not re-serialised JSON) and the request's headers.
 *
 * ```ts
 * import { verifyWebhook } from 'vigil/dist/src/io/webhook/verify.js';
 * const { id, alert } = verifyWebhook(process.env.OPS_HOOK_SECRET, rawBody, request.headers);
 * ```
 *
 * A wrong signature, a missing header, or a timestamp more than five minutes from the receiver's clock (a replay of
 * an old delivery) throws WebhookVerificationError. `id` is the alert id: the same alert delivered twice (a retry
 * whose answer was lost, a replay after a crash) carries the same id, so a receiver keeps the ids it handled and
 * answers 2xx to a repeat without acting on it again.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifiedDelivery<T = unknown> {
  /** The idempotency key (`webhook-id`): the alert id. */
  readonly id: string;
  /** When Vigil signed this attempt (epoch ms, whole seconds). */
  readonly timestamp: number;
  readonly alert: T;
}

function header(headers: IncomingHeaders, name: string): string {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1) return String(v[0]);
    throw new WebhookVerificationError(`expected one ${name} header`);
  }
  throw new WebhookVerificationError(`missing the ${name} header`);
}

/** Verifies one delivery; throws WebhookVerificationError when it is not Vigil's, or is too old or too new. */
export function verifyWebhook<T = unknown>(secret: string, body: string | Uint8Array, headers: IncomingHeaders): VerifiedDelivery<T> {
  const wanted = {
    'webhook-id': header(headers, 'webhook-id'),
    'webhook-timestamp': header(headers, 'webhook-timestamp'),
    'webhook-signature': header(headers, 'webhook-signature'),
  };
  const alert = new Webhook(secret).verify(body, wanted) as T;
  return { id: wanted['webhook-id'], timestamp: Number(wanted['webhook-timestamp']) * 1000, alert };
}
