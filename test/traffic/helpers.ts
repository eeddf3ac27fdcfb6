import { readFileSync } from 'node:fs';
import { type GeneratorOptions, type GroundTruth, TrafficSimulation } from '../../src/traffic/generator/index.js';
import type { TrafficRecord } from '../../src/traffic/record.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';
import { isRejection, RecordValidator } from '../../src/traffic/validate.js';

export const FIXTURES = new URL('../../fixtures/', import.meta.url);
export const registry = CheckpointRegistry.parse(readFileSync(new URL('checkpoints.json', FIXTURES), 'utf8'));

export function at(localTime: string): number {
  return Date.parse(`2026-03-02T${localTime}:00+08:00`);
}

export interface Generated {
  readonly text: string;
  readonly lines: string[];
  readonly truth: GroundTruth;
  readonly chunks: number;
  readonly maxPending: number;
}

export function generate(options: GeneratorOptions): Generated {
  const sim = new TrafficSimulation(options);
  let text = '';
  let chunks = 0;
  for (const chunk of sim.chunks()) {
    text += chunk;
    chunks++;
  }
  const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  return { text, lines, truth: sim.truth(), chunks, maxPending: sim.maxPending };
}

/** Parses and validates every line against the fixture registry; throws on the first rejection. */
export function records(g: Generated): TrafficRecord[] {
  const v = new RecordValidator(registry);
  return g.lines.map((line, i) => {
    const r = v.validate(JSON.parse(line));
    if (isRejection(r)) throw new Error(`line ${i + 1} rejected: ${r.code} ${r.detail}: ${line}`);
    return r;
  });
}

export function keyOf(r: { plate: string; plate_color: string }): string {
  return r.plate + '|' + r.plate_color;
}
