/**
 * A day's results as the API serves them: the re-run's final ones once published (marked `final`), else what the
 * service produced live (the alerts of the day in the alert history, the flow it recorded); and the live results
 * the re-run compares with (every alert of the day by the service's day index, the flow it recorded).
 */
import type { Alert } from '../dsl/index.js';
import type { AlertHistory } from '../io/redis/alert-history.js';
import type { DayAlert, DayStore } from '../io/redis/day-store.js';
import { dayRange } from './days.js';
import type { FinalDay, LiveDay } from './rerun.js';

/** A day with final results, as listed. */
export interface FinalDaySummary {
  readonly day: string;
  readonly final: true;
  readonly computedAt: number;
  readonly alerts: number;
  readonly added: number;
  readonly withdrawn: number;
  readonly flowCorrected: number;
}

export interface LiveDayView {
  readonly day: string;
  readonly zone: string;
  readonly from: number;
  readonly to: number;
  readonly final: false;
  readonly alerts: readonly Alert[];
  /** null when the service recorded no flow for the day. */
  readonly flow: Readonly<Record<string, number>> | null;
}

export type DayView = FinalDay | LiveDayView;

/** What /api/days reads. */
export interface DayResults {
  finalDays(): Promise<readonly FinalDaySummary[]>;
  day(day: string): Promise<DayView>;
}

/** Every alert of the history whose event time falls in [from, to), oldest first. */
export async function liveAlerts(history: AlertHistory, from: number, to: number): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await history.page({ eventFrom: from, eventTo: to - 1 }, { ...(before === undefined ? {} : { before }), limit: 500 });
    for (const e of page.alerts) alerts.push(e.alert);
    if (page.next === null) break;
    before = page.next;
  }
  return alerts.sort((a, b) => a.event_time - b.event_time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The live results of a day for the re-run: every alert the service recorded in its day index, with any the alert
 * history still holds (a service that began recording the index during the day), and the flow it recorded. Without
 * an index for the day, the alerts are only those the capped history holds: `alertsComplete` is false then.
 */
export async function liveDay(history: AlertHistory | undefined, store: DayStore, day: string, zone: string): Promise<LiveDay> {
  const { from, to } = dayRange(day, zone);
  const recorded = await store.liveAlerts(day);
  const byId = new Map<string, DayAlert>();
  for (const a of recorded ?? []) if (a.event_time >= from && a.event_time < to) byId.set(a.id, a);
  for (const a of history === undefined ? [] : await liveAlerts(history, from, to)) if (!byId.has(a.id)) byId.set(a.id, a);
  const alerts = [...byId.values()].sort((a, b) => a.event_time - b.event_time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { alerts, alertsComplete: recorded !== null, flow: await store.liveFlow(day) };
}

export class RedisDayResults implements DayResults {
  constructor(
    private readonly store: () => Promise<DayStore>,
    private readonly history: AlertHistory | undefined,
    private readonly zone: string,
  ) {}

  async finalDays(): Promise<FinalDaySummary[]> {
    const store = await this.store();
    const out: FinalDaySummary[] = [];
    for (const day of await store.finalDays()) {
      const json = await store.final(day);
      if (json === null) continue;
      const f = JSON.parse(json) as FinalDay;
      out.push({
        day,
        final: true,
        computedAt: f.computedAt,
        alerts: f.alerts.length,
        added: f.report.alerts.added.length,
        withdrawn: f.report.alerts.withdrawn.length,
        flowCorrected: f.report.flow.corrected.length,
      });
    }
    return out;
  }

  async day(day: string): Promise<DayView> {
    const store = await this.store();
    const json = await store.final(day);
    if (json !== null) return JSON.parse(json) as FinalDay;
    const { from, to } = dayRange(day, this.zone);
    const flow = await store.liveFlow(day);
    return {
      day,
      zone: this.zone,
      from,
      to,
      final: false,
      alerts: this.history === undefined ? [] : await liveAlerts(this.history, from, to),
      flow: flow === null ? null : Object.fromEntries([...flow].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  }
}
