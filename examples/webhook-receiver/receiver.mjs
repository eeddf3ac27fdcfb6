#!/usr/bin/env node
// A receiver for Vigil's webhook routes: verifies each delivery with Vigil's helper (Standard Webhooks: signature
// and a five-minute timestamp tolerance, so a replayed old delivery is refused), acts once per alert id, and
// answers 2xx to a repeat. Run from the repository after `npm install` (which builds dist/):
//
//   HOOK_SECRET=whsec_... PORT=9000 node examples/webhook-receiver/receiver.mjs
//
// Each new alert is printed to stdout as one JSON line; refusals go to stderr.
import { createServer } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '../../dist/src/io/webhook/verify.js';

const secret = process.env.HOOK_SECRET;
if (secret === undefined || secret === '') {
  process.stderr.write('receiver: set HOOK_SECRET to the secret of the rule\'s webhook route (whsec_...)\n');
  process.exit(1);
}

// Alert ids already handled. A real receiver keeps them where they outlive a restart (a table with a unique key).
const seen = new Set();

const server = createServer((request, response) => {
  if (request.method !== 'POST') return void response.writeHead(405).end();
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    // Verify the raw bytes as they came: re-serialised JSON would not match the signature.
    const body = Buffer.concat(chunks);
    let delivery;
    try {
      delivery = verifyWebhook(secret, body, request.headers);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      process.stderr.write(`receiver: refused a delivery: ${error.message}\n`);
      return void response.writeHead(401).end();
    }
    // The same alert again (a retry whose answer was lost, a replay after a crash): answer 2xx, do nothing.
    if (seen.has(delivery.id)) return void response.writeHead(200).end('duplicate');
    seen.add(delivery.id);
    const { rule, severity, key } = delivery.alert;
    process.stdout.write(`${JSON.stringify({ id: delivery.id, rule, severity, key })}\n`);
    response.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 9000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stderr.write(`receiver: listening on http://${address}:${port}\n`);
});
process.once('SIGTERM', () => server.close());
process.once('SIGINT', () => server.close());
