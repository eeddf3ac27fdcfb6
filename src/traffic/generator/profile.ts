/**
 * The daily traffic profile of the synthetic city, as a fraction of the peak rate: low at night,
 * a daytime plateau, sharp morning (~08:00) and evening (~18:00) peaks. Local time is the city's
 * fixed offset (UTC+8).
 */

export const CITY_UTC_OFFSET_MIN = 480;

/** City-wide records per second at the morning peak with scale 1 (a mid-size city peaks at 500-700/s). */
export const DEFAULT_PEAK_RECORDS_PER_S = 500;

function gauss(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z);
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

function rawShape(h: number): number {
  const day = smoothstep(5.5, 8, h) * (1 - smoothstep(20, 23.5, h));
  // Peaks ~2 h wide: traffic ramps up over the morning, so a 10-minute step never looks like a surge (<= ~1.4x).
  return 0.02 + 0.08 * day + 0.88 * gauss(h, 8.1, 0.85) + 0.8 * gauss(h, 17.9, 0.95);
}

const PEAK_RAW = (() => {
  let max = 0;
  for (let m = 0; m < 24 * 60; m++) max = Math.max(max, rawShape(m / 60));
  return max;
})();

/** Local hour of day (0..24) of an epoch-ms instant. */
export function localHour(ms: number): number {
  const local = ms + CITY_UTC_OFFSET_MIN * 60_000;
  return (((local % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
}

/** Traffic at that local hour as a fraction of the daily peak (0..1]. */
export function profileFraction(hour: number): number {
  return rawShape(hour) / PEAK_RAW;
}

/** Speed factor of the whole city at that hour: a mild slowdown at the peaks, never congestion. */
export function rushSpeedFactor(hour: number): number {
  return 1 - 0.15 * Math.max(gauss(hour, 8.1, 0.85), gauss(hour, 17.9, 0.95));
}
