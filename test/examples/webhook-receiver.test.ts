/**
 * examples/webhook-receiver: the example receiver (built helper from dist/) takes a signed delivery once, answers a
 * repeat without acting again, and refuses a replayed old delivery and a wrong signature.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/app/index.js';
import { WebhookSigner } from '../../src/io/webhook/signing.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let child: ChildProcess;
let url = '';
let stdout = '';
let stderr = '';

beforeAll(async () => {
  child = spawn(process.execPath, [join(packageRoot, 'examples', 'webhook-receiver', 'receiver.mjs')], {
    env: { ...process.env, HOOK_SECRET: SECRET, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const until = Date.now() + 10_000;
  while (!/listening on (http:\/\/\S+)/.test(stderr)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the receiver did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  url = (/listening on (http:\/\/\S+)/.exec(stderr) as RegExpExecArray)[1] as string;
});

afterAll(() => {
  child?.kill('SIGKILL');
});

const alert = { id: randomBytes(16).toString('hex'), rule: 'cloned-plate', severity: 'high', key: '浙A12345', payload: {} };
const body = JSON.stringify(alert);

function post(headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('examples/webhook-receiver', () => {
  it('acts once per alert id, refuses replays of old deliveries and wrong signatures', async () => {
    const signer = new WebhookSigner(SECRET);
    expect((await post(signer.headers(alert.id, new Date(), body))).status).toBe(204);
    // A retry of the same alert (new timestamp, same id): answered, not acted on again.
    expect((await post(signer.headers(alert.id, new Date(), body))).status).toBe(200);
    // A delivery captured and replayed seven minutes later: its timestamp is past the tolerance.
    const other = { ...alert, id: randomBytes(16).toString('hex') };
    const replay = await fetch(`${url}/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signer.headers(other.id, new Date(Date.now() - 7 * 60_000), JSON.stringify(other)) },
      body: JSON.stringify(other),
    });
    expect(replay.status).toBe(401);
    const forged = new WebhookSigner(`whsec_${randomBytes(32).toString('base64')}`);
    expect((await post(forged.headers(other.id, new Date(), body))).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const printed = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string });
    expect(printed).toEqual([{ id: alert.id, rule: 'cloned-plate', severity: 'high', key: '浙A12345' }]);
    expect(stderr).toMatch(/refused a delivery: Message timestamp too old/);
    expect(stderr).toMatch(/refused a delivery: No matching signature found/);
  });
});
