/**
 * One webhook route: a bullmq queue on the service's Redis and a worker that POSTs its jobs, signed, behind a
 * circuit breaker. Enqueueing is all the alert path does; the worker delivers in the background, in every process
 * that serves the route (bullmq hands each job to one of them).
 */
import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Counter, Logger, MetricRegistry } from '../../core/index.js';
import { backoffDelay, JITTERED_BACKOFF } from './backoff.js';
import { type BreakerState, breakerLevel, CircuitBreaker } from './breaker.js';
import { postSigned } from './post.js';
import { type Identified, jobIdOf, type WebhookRouteSpec } from './route.js';
import { WebhookSigner } from './signing.js';

/** Completed jobs are kept this long (and at most this many): within it, enqueueing an alert again does nothing. */
export const DEDUPE_WINDOW = { ageSeconds: 24 * 3600, count: 10_000 } as const;

export interface JobCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  readonly failed: number;
  readonly completed: number;
}

export interface WebhookRouteStatus {
  readonly route: string;
  readonly rule: string;
  readonly url: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly attempts: number;
  /** Jobs by state in Redis (every process's). */
  readonly jobs: JobCounts;
  /** This process's breaker. */
  readonly breaker: { readonly state: BreakerState; readonly consecutiveFailures: number; readonly opened: number; readonly retryInMs: number };
  /** This process's counters since it started. */
  readonly enqueued: number;
  readonly deliveryAttempts: number;
  readonly delivered: number;
  readonly failedAttempts: number;
  readonly deadLettered: number;
}

export interface DeadLetterJob {
  /** The job id (the alert id made safe for bullmq). */
  readonly id: string;
  readonly alert: Identified;
  readonly attemptsMade: number;
  readonly failedReason: string;
  /** Epoch ms. */
  readonly enqueuedAt: number;
  readonly failedAt: number | null;
}

export interface RouteQueueOptions {
  readonly spec: WebhookRouteSpec;
  /** The service's connection: the queue shares it. */
  readonly redis: Redis;
  /** The bullmq key prefix (keeps services and tests on one Redis apart). */
  readonly prefix: string;
  readonly metrics: MetricRegistry;
  readonly log: Logger;
  /** Start the worker (default true). Without it the route only enqueues: what a test of the alert path wants. */
  readonly deliver?: boolean;
  readonly random?: () => number;
}

const ZERO_COUNTS: JobCounts = { waiting: 0, delayed: 0, active: 0, failed: 0, completed: 0 };

export class WebhookRouteQueue {
  readonly spec: WebhookRouteSpec;
  readonly queue: Queue<Identified>;
  private worker: Worker<Identified> | undefined;
  private workerRedis: Redis | undefined;
  readonly breaker: CircuitBreaker;
  private readonly signer: WebhookSigner;
  private readonly log: Logger;
  private readonly random: () => number;
  private counts: JobCounts = ZERO_COUNTS;
  private resumeTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly enqueued: Counter;
  private readonly attempts: Counter;
  private readonly delivered: Counter;
  private readonly failures: Counter;
  private readonly dead: Counter;
  private readonly opened: Counter;
  private readonly deferred: Counter;

  constructor(private readonly options: RouteQueueOptions) {
    const { spec, metrics } = options;
    this.spec = spec;
    this.log = options.log;
    this.random = options.random ?? Math.random;
    this.signer = new WebhookSigner(spec.secret);
    const labels = { route: spec.id, rule: spec.rule };
    this.enqueued = metrics.counter('vigil_webhook_enqueued_total', labels);
    this.attempts = metrics.counter('vigil_webhook_attempts_total', labels);
    this.delivered = metrics.counter('vigil_webhook_deliveries_total', labels);
    this.failures = metrics.counter('vigil_webhook_failures_total', labels);
    this.dead = metrics.counter('vigil_webhook_dead_lettered_total', labels);
    this.opened = metrics.counter('vigil_webhook_breaker_opened_total', labels);
    this.deferred = metrics.counter('vigil_webhook_deferred_total', labels);
    metrics.gauge('vigil_webhook_queue_depth', labels, () => this.counts.waiting + this.counts.delayed + this.counts.active);
    metrics.gauge('vigil_webhook_dead_letters', labels, () => this.counts.failed);
    metrics.gauge('vigil_webhook_breaker_state', labels, () => breakerLevel(this.breaker.state));
    this.breaker = new CircuitBreaker({ failures: spec.breakerFailures, cooldownMs: spec.breakerCooldownMs }, Date.now, (state) => this.onBreaker(state));
    this.queue = new Queue<Identified>(spec.id, {
      connection: options.redis,
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: spec.attempts,
        backoff: { type: JITTERED_BACKOFF },
        removeOnComplete: { age: DEDUPE_WINDOW.ageSeconds, count: DEDUPE_WINDOW.count },
        // Failed jobs are the dead letters: kept until retried.
        removeOnFail: false,
      },
    });
    this.queue.on('error', (error) => this.log.warn(`vigil webhook ${spec.id}: queue: ${error.message}`));
  }

  /** Starts delivering (a worker on a connection of its own: bullmq's blocking reads want no retry limit). */
  async start(): Promise<void> {
    await this.queue.waitUntilReady();
    await this.refreshCounts();
    if (this.options.deliver === false) return;
    const { spec } = this;
    this.workerRedis = this.options.redis.duplicate({ maxRetriesPerRequest: null, lazyConnect: false });
    this.worker = new Worker<Identified>(spec.id, (job, token, signal) => this.process(job, token, signal), {
      connection: this.workerRedis,
      prefix: this.options.prefix,
      concurrency: spec.concurrency,
      // A process that died mid-delivery leaves its jobs active until their lock expires: another process's stalled
      // check puts them back within lockDuration + stalledInterval (15 s; bullmq's defaults would make it a minute),
      // a few times before failing them. A live worker renews its locks every lockDuration / 2.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 3,
      settings: {
        backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, { baseMs: spec.backoffMs, maxMs: spec.maxBackoffMs }, this.random),
      },
    });
    this.worker.on('error', (error) => this.log.warn(`vigil webhook ${spec.id}: worker: ${error.message}`));
    this.worker.on('failed', (job, error) => {
      if (job === undefined) return;
      if (error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.dead.value++;
        this.log.warn(`vigil webhook ${spec.id}: alert ${job.data.id} is a dead letter after ${job.attemptsMade} attempt(s): ${error.message}`);
      }
    });
    await this.worker.waitUntilReady();
  }

  /**
   * Adds alerts to the queue; an alert whose id is already there (waiting, delayed, failed, or completed within the
   * dedupe window) is not added again. One round trip to Redis for the lot.
   */
  async enqueue(alerts: readonly Identified[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.queue.addBulk(alerts.map((a) => ({ name: this.spec.rule, data: a, opts: { jobId: jobIdOf(a.id) } })));
    this.enqueued.value += alerts.length;
  }

  private async process(job: Job<Identified>, token: string | undefined, signal: AbortSignal | undefined): Promise<{ status: number }> {
    const { spec } = this;
    const permit = this.breaker.permit();
    if (!permit.go) {
      // The receiver is known to be down: the job waits without spending an attempt (bullmq's skipAttempt).
      this.deferred.value++;
      this.hold(permit.waitMs);
      await job.moveToDelayed(Date.now() + permit.waitMs + Math.round(this.random() * Math.min(permit.waitMs, 1000)), token);
      throw new DelayedError();
    }
    this.attempts.value++;
    const body = JSON.stringify(job.data);
    const outcome = await postSigned(spec.url, body, this.signer.headers(job.data.id, new Date(), body), spec.timeoutMs, signal);
    if (outcome.kind === 'delivered') {
      this.breaker.success();
      this.delivered.value++;
      return { status: outcome.status };
    }
    this.failures.value++;
    if (outcome.kind === 'refused') {
      // The receiver is up and answered: no reason to stop the others.
      this.breaker.success();
      throw new UnrecoverableError(`${spec.url} refused the alert: ${outcome.reason}`);
    }
    if (this.closing) this.breaker.abandon(permit.probe);
    else this.breaker.failure();
    throw new Error(`${spec.url}: ${outcome.reason}`);
  }

  /**
   * While the breaker holds deliveries back (open, or half-open with its probe out), this process's worker fetches
   * no jobs: otherwise it would take every waiting job only to put it back. It resumes when the breaker closes or
   * when the wait is over.
   */
  private onBreaker(state: BreakerState): void {
    this.log.info(`vigil webhook ${this.spec.id}: circuit ${state}`);
    if (state === 'open') {
      this.opened.value++;
      this.hold(this.breaker.remainingMs());
    } else if (state === 'closed') this.release();
  }

  private hold(ms: number): void {
    const worker = this.worker;
    if (worker === undefined || this.closing) return;
    if (!worker.isPaused()) void worker.pause(true).catch(() => undefined);
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => this.release(), ms);
    this.resumeTimer.unref();
  }

  private release(): void {
    clearTimeout(this.resumeTimer);
    const worker = this.worker;
    if (worker !== undefined && !this.closing && worker.isPaused()) worker.resume().catch(() => undefined);
  }

  /** Reads the job counts from Redis (the gauges show the last read). */
  async refreshCounts(): Promise<JobCounts> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed');
    this.counts = {
      waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0),
      delayed: c['delayed'] ?? 0,
      active: c['active'] ?? 0,
      failed: c['failed'] ?? 0,
      completed: c['completed'] ?? 0,
    };
    return this.counts;
  }

  async status(): Promise<WebhookRouteStatus> {
    const { spec, breaker } = this;
    return {
      route: spec.id,
      rule: spec.rule,
      url: spec.url,
      concurrency: spec.concurrency,
      timeoutMs: spec.timeoutMs,
      attempts: spec.attempts,
      jobs: await this.refreshCounts(),
      breaker: { state: breaker.state, consecutiveFailures: breaker.consecutiveFailures, opened: breaker.opened, retryInMs: breaker.remainingMs() },
      enqueued: this.enqueued.value,
      deliveryAttempts: this.attempts.value,
      delivered: this.delivered.value,
      failedAttempts: this.failures.value,
      deadLettered: this.dead.value,
    };
  }

  /** The dead letters (bullmq's failed set), newest first: `limit` from `offset`, and how many there are. */
  async deadLetters(offset: number, limit: number): Promise<{ total: number; jobs: DeadLetterJob[] }> {
    const [total, jobs] = await Promise.all([this.queue.getFailedCount(), limit === 0 ? [] : this.queue.getFailed(offset, offset + limit - 1)]);
    return {
      total,
      jobs: jobs
        .filter((j): j is Job<Identified> => j !== undefined && j !== null)
        .map((j) => ({
          id: String(j.id),
          alert: j.data,
          attemptsMade: j.attemptsMade,
          failedReason: j.failedReason ?? '',
          enqueuedAt: j.timestamp,
          failedAt: j.finishedOn ?? null,
        })),
    };
  }

  /** Sends a dead letter again with all its attempts. 'not-found' for an unknown id, 'not-dead' for a job not failed. */
  async retry(jobId: string): Promise<'retried' | 'not-found' | 'not-dead'> {
    const job = await this.queue.getJob(jobId);
    if (job === undefined || job === null) return 'not-found';
    if ((await job.getState()) !== 'failed') return 'not-dead';
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'retried';
  }

  /** Sends every dead letter of now again (one that fails again while this runs is not retried twice). */
  async retryAll(): Promise<number> {
    const done = new Set<string>();
    const page = 500;
    for (;;) {
      const jobs = (await this.queue.getFailed(0, page - 1)).filter((j): j is Job<Identified> => j !== undefined && j !== null);
      const fresh = jobs.filter((j) => !done.has(String(j.id)));
      if (fresh.length === 0) return done.size;
      for (const j of fresh) {
        done.add(String(j.id));
        await j.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => undefined);
      }
    }
  }

  /** Stops taking jobs, lets those under way finish, closes the worker's connection; the queue's is the service's. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.resumeTimer);
    await this.worker?.close();
    await this.queue.close();
    if (this.workerRedis !== undefined) await this.workerRedis.quit().catch(() => this.workerRedis?.disconnect());
  }
}
