/**
 * The core's MetricRegistry as Prometheus metrics: one prom-client counter or gauge per metric name, whose
 * collect() fills in the values of the registry's samples read at scrape time, plus prom-client's default
 * process metrics (CPU, memory, heap, event-loop lag, GC). One prom-client Registry per server, never the global one.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Labels, MetricRegistry, MetricSample } from '../core/index.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  readonly type: MetricSample['type'];
  readonly labelNames: ReadonlySet<string>;
}

export class PrometheusBridge {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly families = new Map<string, Family>();
  /** The samples of the scrape under way, by metric name. */
  private current = new Map<string, MetricSample[]>();

  constructor(private readonly source: MetricRegistry) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text exposition of every metric, read now. */
  async scrape(): Promise<string> {
    this.current = this.byName(this.source.samples());
    for (const [name, samples] of this.current) this.ensureFamily(name, samples);
    try {
      return await this.registry.metrics();
    } finally {
      this.current = new Map();
    }
  }

  private byName(samples: readonly MetricSample[]): Map<string, MetricSample[]> {
    const out = new Map<string, MetricSample[]>();
    for (const s of samples) {
      if (!METRIC_NAME.test(s.name) || !Object.keys(s.labels).every((k) => LABEL_NAME.test(k))) continue;
      let list = out.get(s.name);
      if (list === undefined) out.set(s.name, (list = []));
      list.push(s);
    }
    return out;
  }

  /** Registers a collector for `name`, again when its type changed or a new label appeared. */
  private ensureFamily(name: string, samples: readonly MetricSample[]): void {
    const type = (samples[0] as MetricSample).type;
    const known = this.families.get(name);
    const labelNames = new Set(known?.type === type ? known.labelNames : []);
    for (const s of samples) for (const k of Object.keys(s.labels)) labelNames.add(k);
    if (known !== undefined && known.type === type && labelNames.size === known.labelNames.size) return;
    if (known !== undefined) this.registry.removeSingleMetric(name);
    const read = (): readonly MetricSample[] => (this.current.get(name) ?? []).filter((s) => s.type === type);
    const config = { name, help: `Vigil ${type} ${name}`, labelNames: [...labelNames], registers: [this.registry] };
    if (type === 'counter') {
      new Counter({
        ...config,
        collect(this: Counter) {
          this.reset();
          for (const s of read()) if (s.value >= 0 && Number.isFinite(s.value)) this.inc(labelsOf(s.labels), s.value);
        },
      });
    } else {
      new Gauge({
        ...config,
        collect(this: Gauge) {
          this.reset();
          // NaN is a gauge that has no value yet (a partition not fetched): left out rather than shown.
          for (const s of read()) if (!Number.isNaN(s.value)) this.set(labelsOf(s.labels), s.value);
        },
      });
    }
    this.families.set(name, { type, labelNames });
  }
}

function labelsOf(labels: Labels): Record<string, string> {
  return { ...labels };
}
