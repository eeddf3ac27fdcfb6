import type { MetricRegistry } from '../../core/index.js';
import type { DeadLetterPage } from '../../io/webhook/delivery.js';
import type { WebhookRouteStatus } from '../../io/webhook/route-queue.js';
import type { RuleControl } from './rule-control.js';

export type { DeadLetterJob } from '../../io/webhook/route-queue.js';
export type { DeadLetterPage, WebhookRouteStatus };

/** The webhook routes of the rules this process runs: their queues, dead letters and retries. */
export interface WebhookControl {
  routes(): Promise<readonly WebhookRouteStatus[]>;
  /** A page of a route's dead letters, newest first; null for an unknown route. */
  deadLetters(route: string, offset: number, limit: number): Promise<DeadLetterPage | null>;
  /** Sends one dead letter again with all its attempts. */
  retry(route: string, id: string): Promise<'retried' | 'not-found' | 'not-dead' | 'no-route'>;
  /** Sends every dead letter of a route again: how many; null for an unknown route. */
  retryAll(route: string): Promise<number | null>;
}

/** A service without webhook routes (or before it started them). */
export const noWebhooks: WebhookControl = {
  routes: async () => [],
  deadLetters: async () => null,
  retry: async () => 'no-route',
  retryAll: async () => null,
};

/** One running task of the service: the partitions it reads, how far event time got, its last checkpoint. */
export interface TaskStatus {
  readonly id: string;
  readonly topic: string;
  readonly partitions: readonly number[];
  /** Epoch ms; null before the first watermark. */
  readonly watermark: number | null;
  readonly lastCheckpoint: { readonly id: number; readonly at: number; readonly bytes: number; readonly durationMs: number } | null;
}

export type ServiceState = 'starting' | 'running' | 'standby' | 'stopping' | 'stopped' | 'failed';

/** Checkpoints that could not be stored (the job runs on, its offsets not committed past the last stored one). */
export interface CheckpointFailure {
  /** Epoch ms of the first failed save of this run of failures. */
  readonly since: number;
  readonly error: string;
  /** Task checkpoints not stored since. */
  readonly failures: number;
}

export interface ServiceStatus {
  readonly state: ServiceState;
  readonly group: string;
  readonly inputTopic: string;
  readonly tasks: readonly TaskStatus[];
  /** Enabled rule ids. */
  readonly rules: readonly string[];
  /** The version (hash) of the rule set this process runs: equal on every process of a group that runs the same set. */
  readonly rulesVersion?: string;
  readonly error?: string;
  /** Present while checkpoints cannot be stored: the service is then not ready. */
  readonly checkpointFailure?: CheckpointFailure;
}

export interface SavepointInfo {
  /** The savepoint's folder (or file): what `vigil serve --from-savepoint` takes. */
  readonly path: string;
  readonly takenAt: number;
  readonly tasks: readonly string[];
}

/**
 * What the HTTP server and the `vigil savepoint/list/cancel` commands may ask of a running service. The server
 * depends on this interface only, never on how the service runs its tasks.
 */
export interface ServiceControl {
  readonly metrics: MetricRegistry;
  /** The loaded rules, validation of a candidate set, hot reload. */
  readonly rules: RuleControl;
  status(): ServiceStatus;
  /** Partitions assigned and restored, Kafka and Redis reachable: ready to take traffic. */
  ready(): boolean;
  /** Takes a savepoint of every task this process runs into `dir` (created), kept until deleted. */
  savepoint(dir: string): Promise<SavepointInfo>;
  /** Graceful stop: drain, checkpoint, commit, close (`vigil cancel`). */
  stop(): Promise<void>;
  readonly webhooks: WebhookControl;
}
