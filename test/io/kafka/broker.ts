import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/** The broker the integration tests use: VIGIL_TEST_KAFKA, else the one services/kafka/start.sh starts. */
export const BROKERS = process.env['VIGIL_TEST_KAFKA'] ?? '127.0.0.1:9092';

/** Fails (never skips) with what to do when the broker is not up. */
export async function requireBroker(): Promise<void> {
  const first = BROKERS.split(',')[0] ?? '';
  const at = first.lastIndexOf(':');
  const host = first.slice(0, at);
  const port = Number(first.slice(at + 1));
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: 2000 });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(`Kafka broker not reachable at ${first} (${why}). Start it with: bash services/kafka/start.sh`));
    };
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (e) => fail(e.message));
  });
}

/** A name no other run or test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 15_000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
