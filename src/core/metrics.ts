/**
 * A minimal metrics registry: named counters and gauges with fixed labels, read by the server's /metrics.
 * Counters are plain objects so the per-record path increments a field, nothing more.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  value: number;
}

export interface MetricSample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  readonly type: 'counter' | 'gauge';
}

export class MetricRegistry {
  private readonly counters = new Map<string, { name: string; labels: Labels; counter: Counter }>();
  private readonly gauges = new Map<string, { name: string; labels: Labels; read: () => number }>();

  counter(name: string, labels: Labels = {}): Counter {
    const id = metricId(name, labels);
    let entry = this.counters.get(id);
    if (entry === undefined) {
      entry = { name, labels, counter: { value: 0 } };
      this.counters.set(id, entry);
    }
    return entry.counter;
  }

  gauge(name: string, labels: Labels, read: () => number): void {
    this.gauges.set(metricId(name, labels), { name, labels, read });
  }

  samples(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const c of this.counters.values()) out.push({ name: c.name, labels: c.labels, value: c.counter.value, type: 'counter' });
    for (const g of this.gauges.values()) out.push({ name: g.name, labels: g.labels, value: g.read(), type: 'gauge' });
    return out;
  }

  /**
   * A view that adds `extra` to the labels of every metric made through it: the same operator uid in every task of
   * a process (one per partition) keeps one gauge per task instead of the last task's.
   */
  scoped(extra: Labels): MetricRegistry {
    return new ScopedRegistry(this, extra);
  }

  /** Drops the gauges whose labels include all of `match` (a task that went away must not be read any more). */
  removeGauges(match: Labels): void {
    const entries = Object.entries(match);
    for (const [id, g] of this.gauges) if (entries.every(([k, v]) => g.labels[k] === v)) this.gauges.delete(id);
  }

  /** Sum of a counter over all label sets: handy in tests and summaries. */
  total(name: string): number {
    let n = 0;
    for (const c of this.counters.values()) if (c.name === name) n += c.counter.value;
    return n;
  }
}

class ScopedRegistry extends MetricRegistry {
  constructor(
    private readonly parent: MetricRegistry,
    private readonly extra: Labels,
  ) {
    super();
  }
  override counter(name: string, labels: Labels = {}): Counter {
    return this.parent.counter(name, { ...labels, ...this.extra });
  }
  override gauge(name: string, labels: Labels, read: () => number): void {
    this.parent.gauge(name, { ...labels, ...this.extra }, read);
  }
  override samples(): MetricSample[] {
    return this.parent.samples();
  }
  override removeGauges(match: Labels): void {
    this.parent.removeGauges(match);
  }
  override total(name: string): number {
    return this.parent.total(name);
  }
}

function metricId(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}
