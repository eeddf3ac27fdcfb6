/**
 * The streams the dashboard draws, by name. The embedded and the Kafka service keep the recent records of those the
 * program defines (and of every `--stream`); a panel whose stream the program lacks is simply not shown.
 */
export const DASHBOARD_STREAMS: readonly string[] = [
  'flow_30s',
  'flow_1m',
  'segment_flow_1m',
  'area_flow_1m',
  'city_flow_1m',
  'city_inout_1m',
  'segment_speed_1m',
  'segment_speed_5m',
  'segment_congestion_5m',
  'area_congestion_5m',
  'city_congestion_5m',
  'plate_origin_15m',
  'top_vehicles_1h',
  'frequent_vehicles',
];

/** The dashboard's streams the program has, then the asked-for ones, each once. */
export function keptStreams(programStreams: ReadonlySet<string> | ReadonlyMap<string, unknown>, asked: readonly string[]): string[] {
  return [...new Set([...DASHBOARD_STREAMS.filter((name) => programStreams.has(name)), ...asked])];
}
