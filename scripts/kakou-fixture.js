#!/usr/bin/env node
// Writes examples/kakou/kakou-sample.ndjson: fixtures/sample-traffic.ndjson as a checkpoint platform in the
// kkbh/hphm style would send it (see examples/kakou/README.md for the field and code tables). Deterministic:
// run from the repository root after a deliberate change; test/examples/kakou.test.ts checks the file matches.
import { readFileSync, writeFileSync } from 'node:fs';

export const COLOR_CODES = { white: '0', yellow: '1', blue: '2', black: '3', green: '4', yellow_green: '6', unknown: '9' };
// hpzl is the plate type of GA 24.7: 01 large vehicle, 02 small car, 51/52 large/small new-energy vehicle.
export const PLATE_TYPES = { yellow: '01', blue: '02', yellow_green: '51', green: '52' };
export const DIRECTION_CODES = { in: '1', out: '2' };

/** Epoch ms -> `yyyy-MM-dd HH:mm:ss` in UTC+8 (the platform's local time, seconds only). */
export function localTime(ms) {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** One record in the platform's shape; every 41st reading gets a doubtful plate confidence (below 80). */
export function toKakou(r, index) {
  return {
    gcxh: r.id,
    kkbh: r.checkpoint,
    hphm: r.plate,
    hpys: COLOR_CODES[r.plate_color] ?? '9',
    hpzl: PLATE_TYPES[r.plate_color] ?? '99',
    cdh: r.lane,
    fx: DIRECTION_CODES[r.direction],
    gcsj: localTime(r.ts),
    clsd: r.speed,
    hpzxd: index % 41 === 7 ? 40 + (index % 37) : 90 + (index % 10),
  };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const lines = readFileSync('fixtures/sample-traffic.ndjson', 'utf8').trim().split('\n');
  const out = lines.map((l, i) => JSON.stringify(toKakou(JSON.parse(l), i))).join('\n') + '\n';
  writeFileSync('examples/kakou/kakou-sample.ndjson', out);
}
