/**
 * A real HTTP receiver on 127.0.0.1 for the webhook tests: it verifies every request with the shipped helper and
 * answers as its current mode says (down: 503, hang: answers after `delayMs`, up: 200 at once). It records what
 * arrived and whether each answer reached Vigil before Vigil gave up on it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { unlinkMatching } from '../../../src/io/redis/keys.js';
import { verifyWebhook } from '../../../src/io/webhook/verify.js';

export type Mode = { kind: 'down' } | { kind: 'slow'; delayMs: number } | { kind: 'up' } | { kind: 'refuse' };

export interface Arrival {
  readonly id: string;
  readonly verified: boolean;
  readonly mode: Mode['kind'];
  /** 2xx written and the connection still open when it was: Vigil got the answer. */
  answered: boolean;
  /** Vigil closed the request before the answer (its timeout). */
  aborted: boolean;
}

export class TestReceiver {
  mode: Mode = { kind: 'up' };
  readonly arrivals: Arrival[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this.url;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let id = String(req.headers['webhook-id'] ?? '');
    let verified = false;
    try {
      id = verifyWebhook(this.secret, body, req.headers).id;
      verified = true;
    } catch {
      // recorded as unverified; answered 401 below
    }
    const mode = this.mode;
    const arrival: Arrival = { id, verified, mode: mode.kind, answered: false, aborted: false };
    this.arrivals.push(arrival);
    res.on('close', () => {
      if (!res.writableFinished) arrival.aborted = true;
    });
    if (!verified) return void res.writeHead(401).end();
    if (mode.kind === 'down') return void res.writeHead(503).end('down');
    if (mode.kind === 'refuse') return void res.writeHead(422).end('no');
    if (mode.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, mode.delayMs));
    if (res.destroyed) {
      arrival.aborted = true;
      return;
    }
    res.writeHead(200).end('ok', () => {
      arrival.answered = !arrival.aborted;
    });
  }

  /** Ids whose 2xx reached Vigil, with how many times. */
  answeredCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.arrivals) if (a.answered) out.set(a.id, (out.get(a.id) ?? 0) + 1);
    return out;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Deletes every key under a bullmq prefix (a test's queues, after their workers closed). */
export async function unlinkPrefix(redis: Redis, prefix: string): Promise<void> {
  await unlinkMatching(redis, `${prefix}:*`);
}
