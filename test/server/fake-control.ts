/** A ServiceControl without a service: state and readiness set by the test, savepoints written as small files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPaths, loadRegistry } from '../../src/app/program.js';
import {
  noWebhooks,
  type SavepointInfo,
  type ServiceControl,
  type ServiceState,
  type ServiceStatus,
  type WebhookControl,
} from '../../src/app/service/control.js';
import { type ReloadResult, RuleBook, type RuleControl } from '../../src/app/service/rule-control.js';
import { loadRuleSetFromDisk, ruleSetVersion } from '../../src/app/service/rule-set.js';
import { MetricRegistry } from '../../src/core/index.js';

/**
 * The shipped rules and patterns in a real RuleBook (list, show and validate are the real thing); a reload checks
 * the set as the service does, then swaps the book's set without any task to rebuild.
 */
function shippedRules(reloads: ReloadResult[], failure: () => Error | undefined): { book: RuleBook; control: RuleControl } {
  const registry = loadRegistry(defaultPaths.checkpoints);
  const paths = { patterns: defaultPaths.patterns, rules: defaultPaths.rules };
  const book = new RuleBook(loadRuleSetFromDisk(paths, registry, process.cwd()), { registry, paths, cwd: process.cwd() });
  const control: RuleControl = {
    view: () => book.view(),
    rule: (id) => book.rule(id),
    validate: (text) => book.validate(text),
    group: async () => ({ stored: book.currentVersion, members: [{ member: 'test#1', version: book.currentVersion, at: 0 }] }),
    reload: async (text) => {
      const error = failure();
      if (error !== undefined) throw error;
      const loaded = await book.prepare(text);
      const from = book.currentVersion;
      book.accept(loaded, text === null ? 'disk' : 'api');
      const result: ReloadResult = {
        from,
        version: ruleSetVersion(loaded),
        origin: text === null ? 'disk' : 'api',
        durationMs: 1,
        phasesMs: { compile: 1, wait: 0, swap: 0, checkpoint: 0 },
        tasks: 0,
        rules: loaded.rules.map((r) => ({ id: r.rule.id, outcome: 'kept', changed: false })),
        operators: { reset: [], dropped: [] },
        unchanged: false,
      };
      reloads.push(result);
      return result;
    },
  };
  return { book, control };
}

export class FakeControl implements ServiceControl {
  readonly metrics = new MetricRegistry();
  readonly reloads: ReloadResult[] = [];
  /** Thrown by the next reloads, as the service throws a refusal. */
  reloadError: Error | undefined;
  readonly rules: RuleControl;
  readonly book: RuleBook;
  webhooks: WebhookControl = noWebhooks;
  state: ServiceState = 'running';
  isReady = true;
  stops = 0;
  savepointsTaken: string[] = [];
  savepointError: Error | undefined;
  /** Thrown by status(): a bug in the service, as the server sees one. */
  statusError: Error | undefined;
  takenAt = Date.parse('2026-03-02T08:00:00Z');
  /** Set: checkpoints are not being stored (status() reports it). */
  checkpointFailure: ServiceStatus['checkpointFailure'];

  constructor() {
    const { book, control } = shippedRules(this.reloads, () => this.reloadError);
    this.book = book;
    this.rules = control;
  }

  status(): ServiceStatus {
    if (this.statusError !== undefined) throw this.statusError;
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
      ...(this.checkpointFailure === undefined ? {} : { checkpointFailure: this.checkpointFailure }),
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
