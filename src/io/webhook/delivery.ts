/**
 * Every webhook route of a service: their queues and workers on one Redis, the alert sinks the job writes to, and
 * what the API asks (status, dead letters, retries).
 */
import type { Redis } from 'ioredis';
import type { Logger, MetricRegistry } from '../../core/index.js';
import { ROUTE_ID, type WebhookRouteSpec } from './route.js';
import { type DeadLetterJob, WebhookRouteQueue, type WebhookRouteStatus } from './route-queue.js';
import { WebhookSink } from './webhook-sink.js';

export interface WebhookDeliveryOptions {
  readonly redis: Redis;
  readonly routes: readonly WebhookRouteSpec[];
  /** bullmq's key prefix: `vigil-webhooks.<group>` in the service. */
  readonly prefix: string;
  readonly metrics: MetricRegistry;
  readonly log: Logger;
  /** Run the workers here (default true). */
  readonly deliver?: boolean;
  /** How often the queue-depth gauges are read from Redis. Default 5 s. */
  readonly countsIntervalMs?: number;
}

export interface DeadLetterPage {
  readonly route: string;
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly jobs: readonly DeadLetterJob[];
}

export class WebhookDelivery {
  private readonly routes = new Map<string, WebhookRouteQueue>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WebhookDeliveryOptions) {
    for (const spec of options.routes) {
      if (!ROUTE_ID.test(spec.id)) throw new Error(`webhook route id '${spec.id}' must be letters, digits, '.', '_' and '-'`);
      if (this.routes.has(spec.id)) throw new Error(`two webhook routes named '${spec.id}'`);
      this.routes.set(
        spec.id,
        new WebhookRouteQueue({
          spec,
          redis: options.redis,
          prefix: options.prefix,
          metrics: options.metrics,
          log: options.log,
          ...(options.deliver === undefined ? {} : { deliver: options.deliver }),
        }),
      );
    }
  }

  get size(): number {
    return this.routes.size;
  }

  async start(): Promise<void> {
    for (const r of this.routes.values()) await r.start();
    if (this.routes.size === 0) return;
    this.timer = setInterval(() => {
      for (const r of this.routes.values()) r.refreshCounts().catch(() => undefined);
    }, this.options.countsIntervalMs ?? 5000);
    this.timer.unref();
  }

  route(id: string): WebhookRouteQueue | undefined {
    return this.routes.get(id);
  }

  /** The sink the job writes a route's alerts to. */
  sink<T extends { readonly id: string }>(id: string): WebhookSink<T> {
    const route = this.routes.get(id);
    if (route === undefined) throw new Error(`internal: no webhook route '${id}'`);
    return new WebhookSink<T>(route);
  }

  async status(): Promise<WebhookRouteStatus[]> {
    return Promise.all([...this.routes.values()].map((r) => r.status()));
  }

  /** null for an unknown route. */
  async deadLetters(id: string, offset: number, limit: number): Promise<DeadLetterPage | null> {
    const route = this.routes.get(id);
    if (route === undefined) return null;
    const { total, jobs } = await route.deadLetters(offset, limit);
    return { route: id, total, offset, limit, jobs };
  }

  async retry(id: string, jobId: string): Promise<'retried' | 'not-found' | 'not-dead' | 'no-route'> {
    const route = this.routes.get(id);
    return route === undefined ? 'no-route' : route.retry(jobId);
  }

  /** null for an unknown route, else how many dead letters were sent again. */
  async retryAll(id: string): Promise<number | null> {
    const route = this.routes.get(id);
    return route === undefined ? null : route.retryAll();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.routes.values()].map((r) => r.close()));
  }
}
