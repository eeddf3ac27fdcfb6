/** Webhook delivery's pure parts: signing and verifying, retry delays, the circuit breaker, job ids. */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/io/webhook/backoff.js';
import { CircuitBreaker } from '../../../src/io/webhook/breaker.js';
import { jobIdOf } from '../../../src/io/webhook/route.js';
import { secretProblem, WebhookSigner } from '../../../src/io/webhook/signing.js';
import { verifyWebhook, WebhookVerificationError } from '../../../src/io/webhook/verify.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const alert = { id: '3f9a0c1e2b4d5f60718293a4b5c6d7e8', rule: 'cloned-plate', severity: 'high', payload: { plate: '浙A12345' } };
const body = JSON.stringify(alert);

describe('signing', () => {
  it('signs id.timestamp.body with HMAC-SHA256 of the decoded secret, as Standard Webhooks says', () => {
    const at = new Date('2026-12-07T05:00:00.700Z');
    const h = new WebhookSigner(SECRET).headers(alert.id, at, body);
    expect(h['webhook-id']).toBe(alert.id);
    expect(h['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    // Computed here with node:crypto, independently of the library that signed.
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`${alert.id}.${h['webhook-timestamp']}.${body}`).digest('base64');
    expect(h['webhook-signature']).toBe(`v1,${mac}`);
  });

  it('refuses secrets that are not whsec_ and base64, or too short', () => {
    expect(secretProblem(SECRET)).toBeNull();
    expect(secretProblem('hunter2')).toMatch(/whsec_/);
    expect(secretProblem(`whsec_${randomBytes(8).toString('base64')}`)).toMatch(/8 bytes/);
    expect(() => new WebhookSigner('plain-text-secret')).toThrow(/webhook secret/);
  });
});

describe('verifyWebhook', () => {
  const signer = new WebhookSigner(SECRET);

  it('returns the alert and its idempotency key for a fresh, well-signed delivery', () => {
    const headers = signer.headers(alert.id, new Date(), body);
    const v = verifyWebhook(SECRET, body, { ...headers, 'content-type': 'application/json' });
    expect(v.id).toBe(alert.id);
    expect(v.alert).toEqual(alert);
  });

  it('reads headers in any case, as node:http or a framework hands them over', () => {
    const h = signer.headers(alert.id, new Date(), body);
    const upper = { 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': h['webhook-timestamp'], 'webhook-signature': [h['webhook-signature']] };
    expect(verifyWebhook(SECRET, Buffer.from(body), upper).id).toBe(alert.id);
  });

  it('rejects a replayed delivery whose timestamp is older than the tolerance (5 minutes)', () => {
    const old = signer.headers(alert.id, new Date(Date.now() - 6 * 60_000), body);
    expect(() => verifyWebhook(SECRET, body, old)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(SECRET, body, old)).toThrow(/too old/);
    // Within the tolerance the same kind of delivery passes: the refusal is the timestamp's.
    const recent = signer.headers(alert.id, new Date(Date.now() - 4 * 60_000), body);
    expect(verifyWebhook(SECRET, body, recent).id).toBe(alert.id);
  });

  it('rejects a timestamp from the future, a changed body, another secret, a moved id, missing headers', () => {
    const h = signer.headers(alert.id, new Date(), body);
    expect(() => verifyWebhook(SECRET, body, signer.headers(alert.id, new Date(Date.now() + 6 * 60_000), body))).toThrow(/too new/);
    expect(() => verifyWebhook(SECRET, body.replace('high', 'low'), h)).toThrow(/signature/);
    expect(() => verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, body, h)).toThrow(/signature/);
    expect(() => verifyWebhook(SECRET, body, { ...h, 'webhook-id': 'another-id' })).toThrow(/signature/);
    // A timestamp changed to pass the tolerance check breaks the signature instead.
    const old = signer.headers(alert.id, new Date(Date.now() - 10 * 60_000), body);
    expect(() => verifyWebhook(SECRET, body, { ...old, 'webhook-timestamp': h['webhook-timestamp'] })).toThrow(/signature/);
    expect(() => verifyWebhook(SECRET, body, { 'webhook-id': alert.id })).toThrow(/webhook-timestamp/);
  });
});

describe('backoffDelay', () => {
  const opts = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per retry between half and the whole step, and stops growing at the cap', () => {
    for (let retry = 1; retry <= 10; retry++) {
      const step = Math.min(60_000, 1000 * 2 ** (retry - 1));
      expect(backoffDelay(retry, opts, () => 0)).toBe(step / 2);
      expect(backoffDelay(retry, opts, () => 1)).toBe(step);
    }
    expect(backoffDelay(40, opts, () => 1)).toBe(60_000);
  });

  it('spreads retries of alerts that failed together', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(4, opts));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});

describe('CircuitBreaker', () => {
  function breaker() {
    let now = 0;
    const states: string[] = [];
    const b = new CircuitBreaker(
      { failures: 3, cooldownMs: 1000 },
      () => now,
      (s) => states.push(s),
    );
    return { b, states, advance: (ms: number) => void (now += ms) };
  }

  it('opens after the configured consecutive failures; a success in between resets the count', () => {
    const { b, states } = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(states).toEqual(['open']);
    expect(b.permit()).toEqual({ go: false, waitMs: 1000 });
  });

  it('lets one probe through after the cool-down: its success closes, its failure opens again', () => {
    const { b, states, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    advance(400);
    expect(b.permit()).toEqual({ go: false, waitMs: 600 });
    advance(600);
    expect(b.permit()).toEqual({ go: true, probe: true });
    expect(b.state).toBe('half-open');
    // While the probe is out, the others wait.
    expect(b.permit().go).toBe(false);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.remainingMs()).toBe(1000);
    advance(1000);
    expect(b.permit()).toEqual({ go: true, probe: true });
    b.success();
    expect(b.state).toBe('closed');
    expect(b.permit()).toEqual({ go: true, probe: false });
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(b.opened).toBe(2);
  });
});

describe('jobIdOf', () => {
  it("keeps Vigil's hex alert ids, and maps other ids one-to-one onto ids bullmq takes", () => {
    expect(jobIdOf(alert.id)).toBe(alert.id);
    const ids = ['a:b', 'a%3Ab', 'a_b', '123', '%3123', 'rule:key:1', '0', '-5'];
    const mapped = ids.map(jobIdOf);
    expect(new Set(mapped).size).toBe(ids.length);
    for (const m of mapped) {
      expect(m).not.toContain(':');
      expect(`${Number.parseInt(m, 10)}`).not.toBe(m);
    }
  });
});
