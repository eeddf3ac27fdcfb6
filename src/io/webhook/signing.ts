/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body` under the route's secret. The standardwebhooks library computes it, so a
 * receiver verifies with the same library (or any other implementation of the convention).
 */
import { Webhook } from 'standardwebhooks';

/** A type literal (not an interface) so that it passes for any header record. */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** Secrets as Standard Webhooks writes them: `whsec_` and base64 (24 to 64 random bytes). */
const SECRET_TEXT = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const MIN_SECRET_BYTES = 24;

/**
 * Why `secret` cannot sign, or null when it can. A secret is checked when the service starts, so a bad one is a
 * startup error and not a dead letter per alert.
 */
export function secretProblem(secret: string): string | null {
  if (!SECRET_TEXT.test(secret)) return 'expected whsec_ followed by base64, e.g. `echo whsec_$(openssl rand -base64 32)`';
  let bytes: number;
  try {
    bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
    new Webhook(secret);
  } catch {
    return 'the part after whsec_ is not valid base64';
  }
  if (bytes < MIN_SECRET_BYTES) return `the secret is ${bytes} bytes; use at least ${MIN_SECRET_BYTES} random bytes`;
  return null;
}

/** Signs deliveries of one route. */
export class WebhookSigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    const problem = secretProblem(secret);
    if (problem !== null) throw new Error(`webhook secret: ${problem}`);
    this.webhook = new Webhook(secret);
  }

  /** The three headers for `body` sent as message `id` at `at` (the timestamp has one-second resolution). */
  headers(id: string, at: Date, body: string): WebhookHeaders {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(id, at, body),
    };
  }
}
