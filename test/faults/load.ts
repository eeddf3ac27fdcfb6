/** Helpers of the fault tests: a producer at a steady rate, a serve process's readiness and memory. */
import { readFileSync } from 'node:fs';
import type { KafkaClient } from '../../src/io/kafka/client.js';
import { type ServeProcess, serveUrl } from '../serve/harness.js';

/** The checkpoint of an NDJSON line (the camera feed's partition key), null when the line has none. */
function checkpointOf(line: string): string | null {
  const m = /"checkpoint"\s*:\s*"([^"]*)"/.exec(line);
  return m === null ? null : (m[1] as string);
}

/**
 * Writes lines to a topic at a steady rate, keyed by checkpoint as a camera feed is: every `tickMs`, what the rate
 * owes since the start (so a slow send is caught up, not lost). `produced` counts the lines the broker took.
 */
export class SteadyProducer {
  produced = 0;
  readonly done: Promise<void>;
  private stopped = false;

  constructor(client: KafkaClient, topic: string, lines: readonly string[], perSecond: number, tickMs = 100) {
    this.done = (async () => {
      const producer = client.producer({ idempotent: true });
      await producer.connect();
      try {
        const started = Date.now();
        while (this.produced < lines.length && !this.stopped) {
          const owed = Math.min(lines.length, Math.floor(((Date.now() - started) / 1000) * perSecond));
          if (owed > this.produced) {
            const messages = lines.slice(this.produced, owed).map((value) => ({ key: checkpointOf(value), value }));
            await producer.send({ topic, messages, acks: -1 });
            this.produced = owed;
          }
          await new Promise((r) => setTimeout(r, tickMs));
        }
      } finally {
        await producer.disconnect();
      }
    })();
    // Awaited by the test; a failure there must not also be an unhandled rejection.
    this.done.catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
  }
}

/** GET a serve process's URL path as JSON (null while it does not answer). */
export async function getJson<T>(p: ServeProcess, path: string): Promise<{ status: number; body: T } | null> {
  const url = serveUrl(p);
  if (url === undefined) return null;
  const res = await fetch(`${url}${path}`).catch(() => null);
  if (res === null) return null;
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

/** Whether a serve process says it is ready on /readyz. */
export async function isReady(p: ServeProcess): Promise<boolean> {
  return (await getJson<unknown>(p, '/readyz'))?.status === 200;
}

/** Resident memory of a process, in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** A seeded pseudo-random generator (mulberry32): the kill moments of a run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
