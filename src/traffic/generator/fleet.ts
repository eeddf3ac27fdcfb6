import type { PlateColor } from '../record.js';
import type { Rng } from './prng.js';

/** Plate letters: Chinese plates use no I or O. */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';

const COLOR_CUMULATIVE: readonly [PlateColor, number][] = [
  ['blue', 0.76],
  ['yellow', 0.85],
  ['green', 0.97],
  ['yellow_green', 0.99],
  ['white', 1],
];

export function drawColor(rng: Rng): PlateColor {
  const u = rng.next();
  for (const [c, p] of COLOR_CUMULATIVE) if (u < p) return c;
  return 'blue';
}

export function vehicleTypeFor(color: PlateColor, rng: Rng): string {
  switch (color) {
    case 'yellow':
      return rng.chance(0.7) ? 'truck' : 'bus';
    case 'yellow_green':
      return 'truck';
    case 'white':
      return 'police';
    case 'green':
      return rng.chance(0.9) ? 'car' : 'van';
    default:
      return rng.chance(0.92) ? 'car' : 'van';
  }
}

/** A plausible plate for that colour: mostly local (浙A), new-energy plates have six characters after the region. */
export function drawPlate(color: PlateColor, rng: Rng): string {
  const region = rng.chance(0.85) ? '浙A' : rng.pick([...PROVINCES]) + LETTERS[rng.int(LETTERS.length)];
  if (color === 'green' || color === 'yellow_green') {
    let s = rng.chance(0.8) ? 'D' : 'F';
    for (let k = 0; k < 5; k++) s += DIGITS[rng.int(10)];
    return region + s;
  }
  let s = '';
  // Busy regions ran out of all-digit numbers long ago: most plates carry one or two letters.
  const u = rng.next();
  const letters = u < 0.2 ? 0 : u < 0.7 ? 1 : 2;
  const letterPos = new Set<number>();
  while (letterPos.size < letters) letterPos.add(rng.int(5));
  for (let k = 0; k < 5; k++) s += letterPos.has(k) ? LETTERS[rng.int(LETTERS.length)] : DIGITS[rng.int(10)];
  return color === 'white' ? region + s.slice(0, 4) + '警' : region + s;
}

/** ANPR look-alikes: a misread swaps one character for one of these. */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  '0': 'D',
  D: '0',
  Q: '0',
  '8': 'B',
  B: '8',
  '5': 'S',
  S: '5',
  '2': 'Z',
  Z: '2',
  '1': '7',
  '7': '1',
  '6': 'G',
  G: '6',
  U: 'V',
  V: 'U',
  E: 'F',
  F: 'E',
  '3': '8',
};

/** The plate with one character (never the region) swapped for a look-alike, or null when none can be. */
export function misreadPlate(plate: string, rng: Rng): string | null {
  const candidates: number[] = [];
  for (let k = 2; k < plate.length; k++) if (LOOK_ALIKES[plate[k]!] !== undefined) candidates.push(k);
  if (candidates.length === 0) return null;
  const k = rng.pick(candidates);
  return plate.slice(0, k) + LOOK_ALIKES[plate[k]!]! + plate.slice(k + 1);
}

/** The fleet: parallel arrays, so a few hundred thousand vehicles cost a few MB. */
export class Fleet {
  readonly plates: string[] = [];
  readonly colors: PlateColor[] = [];
  readonly types: string[] = [];
  /** Current node; the next trip starts here. */
  location: Int32Array;
  /** Event time until which the vehicle is driving or parked for an episode. */
  busyUntil: Float64Array;
  /** Personal speed factor (drivers differ). */
  speedFactor: Float32Array;
  private readonly keys = new Set<string>();

  constructor(capacity: number) {
    this.location = new Int32Array(capacity);
    this.busyUntil = new Float64Array(capacity).fill(-Infinity);
    this.speedFactor = new Float32Array(capacity);
  }

  get size(): number {
    return this.plates.length;
  }

  hasKey(plate: string, color: PlateColor): boolean {
    return this.keys.has(plate + '|' + color);
  }

  /** Adds a vehicle with a fresh plate+colour; returns its index. */
  add(rng: Rng, location: number, color: PlateColor = drawColor(rng), plate?: string): number {
    let p = plate ?? drawPlate(color, rng);
    while (this.keys.has(p + '|' + color)) p = drawPlate(color, rng);
    const index = this.plates.length;
    if (index >= this.location.length) this.grow();
    this.keys.add(p + '|' + color);
    this.plates.push(p);
    this.colors.push(color);
    this.types.push(vehicleTypeFor(color, rng));
    this.location[index] = location;
    this.busyUntil[index] = -Infinity;
    this.speedFactor[index] = 0.88 + rng.next() * 0.22;
    return index;
  }

  /** Marks a plate+colour as taken without adding a fleet vehicle (newcomers are not known before the run). */
  reserve(plate: string, color: PlateColor): void {
    this.keys.add(plate + '|' + color);
  }

  private grow(): void {
    const n = Math.max(16, this.location.length * 2);
    const loc = new Int32Array(n);
    loc.set(this.location);
    const busy = new Float64Array(n).fill(-Infinity);
    busy.set(this.busyUntil);
    const sf = new Float32Array(n);
    sf.set(this.speedFactor);
    this.location = loc;
    this.busyUntil = busy;
    this.speedFactor = sf;
  }
}

/** The same plate written untidily, as some feeds do: a space after the region, lower case, or full-width digits. */
export function formatVariant(plate: string, rng: Rng): string {
  const u = rng.next();
  if (u < 0.4) return plate.slice(0, 2) + ' ' + plate.slice(2);
  if (u < 0.7) return plate.toLowerCase();
  let s = '';
  for (let i = 0; i < plate.length; i++) {
    const c = plate.charCodeAt(i);
    s += c >= 0x30 && c <= 0x39 ? String.fromCharCode(c + 0xfee0) : plate[i];
  }
  return s;
}
