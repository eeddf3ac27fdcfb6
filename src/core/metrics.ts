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

  /** Sum of a counter over all label sets: handy in tests and summaries. */
  total(name: string): number {
    let n = 0;
    for (const c of this.counters.values()) if (c.name === name) n += c.counter.value;
    return n;
  }
}

function metricId(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}
