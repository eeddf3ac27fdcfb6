/** A ServiceControl without a service: state and readiness set by the test, savepoints written as small files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  noWebhooks,
  type SavepointInfo,
  type ServiceControl,
  type ServiceState,
  type ServiceStatus,
  type WebhookControl,
} from '../../src/app/service/control.js';
import { MetricRegistry } from '../../src/core/index.js';

export class FakeControl implements ServiceControl {
  readonly metrics = new MetricRegistry();
  webhooks: WebhookControl = noWebhooks;
  state: ServiceState = 'running';
  isReady = true;
  stops = 0;
  savepointsTaken: string[] = [];
  savepointError: Error | undefined;
  takenAt = Date.parse('2026-03-02T08:00:00Z');

  status(): ServiceStatus {
    return {
      state: this.state,
      group: 'vigil',
      inputTopic: 'traffic.passes',
      tasks: [
        {
          id: 'vigil:traffic.passes',
          topic: 'traffic.passes',
          partitions: [0, 1],
          watermark: null,
          lastCheckpoint: { id: 3, at: this.takenAt, bytes: 120, durationMs: 4 },
        },
      ],
      rules: ['cloned-plate', 'first-entry'],
    };
  }

  ready(): boolean {
    return this.isReady;
  }

  async savepoint(dir: string): Promise<SavepointInfo> {
    if (this.savepointError !== undefined) throw this.savepointError;
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'task.json'),
      JSON.stringify({ version: 1, job: 'vigil:traffic.passes', id: 4, takenAt: this.takenAt, operators: { a: 'x'.repeat(100) } }),
    );
    this.savepointsTaken.push(dir);
    return { path: dir, takenAt: this.takenAt, tasks: ['vigil:traffic.passes'] };
  }

  async stop(): Promise<void> {
    this.stops++;
    this.state = 'stopped';
  }
}
