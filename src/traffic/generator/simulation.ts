import { haversineKm } from '../geo.js';
import type { PlateColor } from '../record.js';
import type { Checkpoint } from '../registry.js';
import { type Calibration, calibrate, DELAY_BINS, drawDestination, drawHomeLocation, gridNodeWeights } from './calibrate.js';
import { buildCity, type City, type CityLink } from './city.js';
import { pickClone, pickNewcomer } from './episodes.js';
import { Fleet, formatVariant, misreadPlate, vehicleTypeFor } from './fleet.js';
import { type AnomalyShape, DEFAULT_ANOMALY_SHAPE, DEFAULT_NOISE, type GeneratorOptions, type NoiseOptions } from './options.js';
import { type AnomalyPlan, anomalyCounts, type CongestionEpisode, type FlowEpisode, type OutagePlan, planAnomalies, planOutages, planSkew } from './plan.js';
import { Rng } from './prng.js';
import { DEFAULT_PEAK_RECORDS_PER_S, localHour, profileFraction, rushSpeedFactor } from './profile.js';
import { type Route, RoutePlanner } from './routes.js';
import { TimeQueue } from './time-queue.js';
import {
  type ClonedPlateTruth,
  type CongestionTruth,
  type FirstEntryTruth,
  type FlowTruth,
  type GroundTruth,
  IMPOSSIBLE_PAIR,
  type OutageNoise,
} from './truth.js';

const MIN = 60_000;
const HOUR = 3_600_000;
/** The recent past a flow episode is measured against: the sudden-flow rule's baseline spans 20 minutes. */
const FLOW_BASELINE_MS = 20 * MIN;

/** A vehicle driving a route; `next` is the true time of its next camera capture. */
interface Trip {
  readonly kind: 'trip';
  readonly vehicle: number; // fleet index, or -1 for a vehicle outside the fleet (clone, newcomer)
  readonly plate: string;
  readonly color: PlateColor;
  readonly type: string;
  readonly route: Route;
  readonly dest: number;
  readonly speedFactor: number;
  /** Anomaly trips carry no noise, so the truth says exactly what a detector should find. */
  readonly clone: ClonedPlateTruth | null;
  readonly cloneSide: 0 | 1;
  readonly firstEntry: FirstEntryTruth | null;
  /** The jam this vehicle drove through, if any: its later captures show the jam's wake downstream. */
  jam: JamWake | null;
  k: number;
  linkPos: number;
  posKm: number;
  t: number;
  speed: number;
}

/** Extra vehicles passing one camera during a surge. */
interface Surge {
  readonly kind: 'surge';
  readonly episode: FlowEpisode;
  readonly truth: FlowTruth;
  /** Extra passes per ms. */
  readonly rate: number;
}

/** Where the vehicles held up by one jam are seen afterwards. */
interface JamWake {
  readonly episode: CongestionEpisode;
  readonly truth: CongestionTruth;
  trips: number;
  /** Captures of held-up vehicles per camera off the jam's link and minute since the jam's start, until WAKE_MS after the jam. */
  readonly seenAt: Map<number, number[]>;
  /** All captures per camera off the jam's link and minute, from the jam's start until WAKE_MS after it. */
  readonly passes: Map<number, number[]>;
}

/** How long after a jam clears its released queue is followed downstream. */
const WAKE_MS = 30 * MIN;
/**
 * A camera is downstream of a jam when the held-up vehicles are at least this share of its own traffic from the
 * jam's start until WAKE_MS after it: the jam then visibly cuts that camera's flow and its release sends it a
 * burst. (A share of the held-up vehicles instead would miss a quiet camera that a small part of a big queue
 * floods, and count a busy one that a large part hardly changes.)
 */
const WAKE_SHARE = 0.2;
/**
 * A camera is downstream too when, over some WAKE_BURST_MIN minutes, the held-up vehicles are at least this share of
 * its traffic: the released queue arrives as a burst (here at least +50% flow) even where over the whole wake it is
 * a small share, as at a busy camera a few roads away.
 */
const WAKE_BURST_SHARE = 1 / 3;
const WAKE_BURST_MIN = 5;

/** Adds one capture at minute `m` to a per-camera minute histogram. */
function countAt(byCp: Map<number, number[]>, cp: number, m: number): void {
  let minutes = byCp.get(cp);
  if (minutes === undefined) byCp.set(cp, (minutes = []));
  while (minutes.length <= m) minutes.push(0);
  minutes[m]!++;
}

/** Whether the held-up vehicles are a visible part of a camera's traffic: over the whole wake, or in a burst. */
function inWake(held: readonly number[], all: readonly number[]): boolean {
  const sum = (xs: readonly number[], from = 0, to = xs.length): number => {
    let s = 0;
    for (let i = from; i < Math.min(to, xs.length); i++) s += xs[i]!;
    return s;
  };
  if (sum(held) >= WAKE_SHARE * sum(all)) return true;
  for (let m = 0; m < held.length; m++) {
    const h = sum(held, m, m + WAKE_BURST_MIN);
    if (h >= 5 && h >= WAKE_BURST_SHARE * sum(all, m, m + WAKE_BURST_MIN)) return true;
  }
  return false;
}

interface Scheduled {
  readonly kind: 'clone' | 'first_entry';
  readonly meetOnce?: boolean;
}

/**
 * A sighting of a cloned plate at its true time (camera skew left out: a detector that corrects camera clocks, as the
 * shipped `passes` does, sees that), for the truth's impossible pairs.
 */
interface CloneSighting {
  readonly ts: number;
  readonly cp: number;
  readonly seq: number;
}

type Item = Trip | Surge | Scheduled;

interface Pending {
  readonly line: string;
}

/**
 * The synthetic city's traffic as a stream of NDJSON records in arrival order, generated in
 * event-time order with bounded memory: active trips live in a heap keyed by their next capture,
 * and records wait in a second heap keyed by arrival only until nothing earlier can still come
 * (network delay is at most a few seconds; camera backlogs wait for their flush).
 */
export class TrafficSimulation {
  readonly city: City;
  private readonly opts: Required<Pick<GeneratorOptions, 'scale' | 'anomalies' | 'prerollMinutes'>> & GeneratorOptions;
  private readonly noise: NoiseOptions;
  private readonly shape: AnomalyShape;
  private readonly start: number;
  private readonly end: number;
  private readonly cps: readonly Checkpoint[];
  private readonly planner: RoutePlanner;
  private readonly weights: Float64Array;
  private readonly cal: Calibration;
  private readonly fleet: Fleet;
  /** Fleet indices below this are the everyday fleet; above are surge extras (never drive trips). */
  private readonly fleetCore: number;
  private readonly tripRng: Rng;
  private readonly driveRng: Rng;
  private readonly noiseRng: Rng;
  private readonly anomalyRng: Rng;
  /**
   * The surges' passes (timing, vehicles, record noise) and the drops' thinning draw from streams of their own: an
   * episode's size changes only its own records, not the clones, first entries and noise of the rest of the run.
   */
  private readonly surgeRng: Rng;
  private readonly surgeNoiseRng: Rng;
  private readonly dropRng: Rng;
  private readonly skew: Float64Array;
  private readonly plan: AnomalyPlan;
  private readonly outages: OutagePlan[];
  private readonly outageByCp = new Map<number, { plan: OutagePlan; truth: OutageNoise }>();
  private readonly congestionByLink = new Map<number, JamWake[]>();
  private readonly wakes: JamWake[] = [];
  private readonly dropByCp = new Map<number, FlowEpisode>();
  private readonly items = new TimeQueue<Item>();
  private readonly out = new TimeQueue<Pending>();
  private readonly truthData: GroundTruth;
  private readonly cloneSightings = new Map<ClonedPlateTruth, CloneSighting[]>();
  private seq = 0;
  private buf = '';
  private finished = false;
  private rushMinute = NaN;
  private rushValue = 1;
  /** Most records waiting for their arrival time at once: the memory bound of the stream. */
  maxPending = 0;

  constructor(options: GeneratorOptions) {
    this.opts = { scale: 1, anomalies: false, prerollMinutes: 30, ...options };
    this.noise = { ...DEFAULT_NOISE, ...options.noise };
    this.shape = { ...DEFAULT_ANOMALY_SHAPE, ...options.anomalyShape };
    if (!(options.minutes > 0)) throw new RangeError('minutes must be positive');
    if (!(this.opts.scale > 0)) throw new RangeError('scale must be positive');
    this.start = options.start;
    this.end = options.start + Math.round(options.minutes * MIN);
    this.city = buildCity(options.city);
    this.cps = this.city.checkpoints;
    this.planner = new RoutePlanner(this.city);
    this.weights = gridNodeWeights(this.city);
    const seed = String(options.seed);
    this.cal = calibrate(this.city, this.planner, this.weights, Rng.stream(seed, 'calibrate'));
    this.tripRng = Rng.stream(seed, 'trips');
    this.driveRng = Rng.stream(seed, 'drive');
    this.noiseRng = Rng.stream(seed, 'noise');
    this.anomalyRng = Rng.stream(seed, 'anomalies');
    this.surgeRng = Rng.stream(seed, 'surges');
    this.surgeNoiseRng = Rng.stream(seed, 'surge-noise');
    this.dropRng = Rng.stream(seed, 'drops');

    // Enough vehicles that at the peak most of the fleet is parked.
    const peakTripsPerS = (DEFAULT_PEAK_RECORDS_PER_S * this.opts.scale) / this.cal.capturesPerTrip;
    const fleetSize = Math.max(300, Math.round(peakTripsPerS * 2500));
    const fleetRng = Rng.stream(seed, 'fleet');
    this.fleet = new Fleet(fleetSize);
    for (let v = 0; v < fleetSize; v++) this.fleet.add(fleetRng, drawHomeLocation(this.city, this.weights, fleetRng));
    this.fleetCore = fleetSize;

    this.skew = planSkew(this.city, Rng.stream(seed, 'skew'), this.noise);
    this.plan = this.opts.anomalies
      ? planAnomalies(
          this.city,
          this.cal,
          this.anomalyRng,
          this.start,
          this.end,
          anomalyCounts(options.minutes, options.anomalyCounts),
          this.shape,
          options.quietMinutes,
        )
      : { flows: [], congestions: [], clones: [], firstEntries: [] };
    const avoid = new Set<number>();
    for (const f of this.plan.flows) avoid.add(f.cp);
    for (const c of this.plan.congestions) for (const cp of this.city.links[c.link]!.cps) avoid.add(cp);
    this.outages = planOutages(this.city, this.cal, Rng.stream(seed, 'outages'), this.noise, this.start, this.end, avoid);

    this.truthData = {
      generator: {
        seed,
        start: this.start,
        end: this.end,
        minutes: options.minutes,
        scale: this.opts.scale,
        anomalies: this.opts.anomalies,
        version: 1,
        ...(options.city !== undefined && Object.keys(options.city).length > 0 ? { city: { ...options.city } } : {}),
      },
      counts: { records: 0, misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, dropped_by_flow_drop: 0, late_backlog: 0 },
      anomalies: [],
      noise: {
        skewed_cameras: [...this.skew].flatMap((s, i) => (s === 0 ? [] : [{ checkpoint: this.cps[i]!.id, skew_ms: s }])),
        outages: [],
        misreads: [],
        duplicates: [],
      },
      known_vehicles: [],
    };
    for (const o of this.outages) {
      const truth: OutageNoise = { checkpoint: this.cps[o.cp]!.id, from: o.from, to: o.to, flushed_at: o.to, records: 0 };
      this.truthData.noise.outages.push(truth);
      this.outageByCp.set(o.cp, { plan: o, truth });
    }
    this.setUpAnomalies();
  }

  private setUpAnomalies(): void {
    for (const c of this.plan.congestions) {
      const link = this.city.links[c.link]!;
      const truth: CongestionTruth = {
        type: 'congestion',
        key: c.segment,
        segment: c.segment,
        from: c.from,
        to: c.to,
        checkpoints: link.cps.map((i) => this.cps[i]!.id),
        downstream_checkpoints: [], // measured: see finishTruth
        speed_kmh: c.speedKmh,
        free_flow_kmh: link.limitKmh,
      };
      this.truthData.anomalies.push(truth);
      const list = this.congestionByLink.get(c.link) ?? [];
      const wake: JamWake = { episode: c, truth, trips: 0, seenAt: new Map(), passes: new Map() };
      list.push(wake);
      this.wakes.push(wake);
      this.congestionByLink.set(c.link, list);
    }
    for (const f of this.plan.flows) {
      const id = this.cps[f.cp]!.id;
      // An episode is `factor` times the flow its camera carried over the 20 minutes before (what a count against the
      // recent past sees), not times the flow of the moment: after the morning peak a camera's flow falls a quarter in
      // 15 minutes, and a surge of twice the flow of the moment was 1.5x the minutes before.
      const beforePerMin = this.meanRatePerMin(f.cp, f.from - FLOW_BASELINE_MS, f.from);
      const duringPerMin = this.meanRatePerMin(f.cp, f.from, f.to);
      // A surge adds at least 10 passes a minute, so it shows even in a thin test file; the truth gives the real factor.
      const extraPerMin = f.type === 'flow_surge' ? Math.max(f.factor * beforePerMin - duringPerMin, 10) : 0;
      // A drop keeps this share of the passes of the moment (all of them if the flow already fell that far).
      const kept = f.type === 'flow_drop' ? Math.min(1, (f.factor * beforePerMin) / Math.max(duringPerMin, 1e-9)) : 1;
      const factor = (f.type === 'flow_surge' ? duringPerMin + extraPerMin : kept * duringPerMin) / Math.max(beforePerMin, 1e-9);
      const truth: FlowTruth = {
        type: f.type,
        key: id,
        checkpoint: id,
        from: f.from,
        to: f.to,
        factor: Math.round(Math.min(factor, 1000) * 100) / 100,
        baseline_per_min: Math.round(beforePerMin * 10) / 10,
      };
      this.truthData.anomalies.push(truth);
      if (f.type === 'flow_drop') this.dropByCp.set(f.cp, { ...f, factor: kept });
      else this.items.push({ kind: 'surge', episode: f, truth, rate: extraPerMin / MIN } satisfies Surge, f.from);
    }
    for (const c of this.plan.clones) this.items.push({ kind: 'clone', meetOnce: c.meetOnce }, c.t);
    for (const t of this.plan.firstEntries) this.items.push({ kind: 'first_entry' }, t);
  }

  /**
   * Expected records per ms at a camera at time t (no anomalies). Its vehicles started their trips minutes before
   * (the calibration's delays, longer in the rush's slowdown), so it is the trip-start profile of those minutes, not
   * of t: an hour after the morning peak a camera carries up to 1.6x the profile at t. No trip starts before the
   * pre-roll.
   */
  private baseRatePerMs(cp: number, t: number): number {
    const slow = 1 / rushSpeedFactor(localHour(t));
    const first = this.start - this.opts.prerollMinutes * MIN;
    const delays = this.cal.delayShare;
    let profile = 0;
    for (let b = 0; b < DELAY_BINS; b++) {
      const w = delays[cp * DELAY_BINS + b]!;
      if (w === 0) continue;
      const started = t - (b + 0.5) * slow * MIN;
      if (started >= first) profile += w * profileFraction(localHour(started));
    }
    return (DEFAULT_PEAK_RECORDS_PER_S * this.opts.scale * profile * this.cal.cpShare[cp]!) / 1000;
  }

  /** Mean expected records per minute at a camera over [from, to) (no anomalies), sampled each minute. */
  private meanRatePerMin(cp: number, from: number, to: number): number {
    const n = Math.max(1, Math.round((to - from) / MIN));
    let sum = 0;
    for (let k = 0; k < n; k++) sum += this.baseRatePerMs(cp, from + ((k + 0.5) * (to - from)) / n);
    return (sum / n) * MIN;
  }

  /** Trip starts per ms at time t. */
  private tripRatePerMs(t: number): number {
    return (DEFAULT_PEAK_RECORDS_PER_S * this.opts.scale * profileFraction(localHour(t))) / this.cal.capturesPerTrip / 1000;
  }

  /** The NDJSON output in chunks of about `chunkBytes` characters. Single use. */
  *chunks(chunkBytes = 64 * 1024): Generator<string, void, undefined> {
    if (this.finished) throw new Error('a TrafficSimulation runs once');
    let nextStart = this.start - this.opts.prerollMinutes * MIN;
    for (;;) {
      const nextItem = this.items.peekKey();
      const t = Math.min(nextStart, nextItem);
      if (t >= this.end) break;
      this.flushUntil(t);
      if (this.buf.length >= chunkBytes) {
        yield this.buf;
        this.buf = '';
      }
      if (nextStart <= nextItem) {
        this.startTrip(nextStart);
        nextStart += this.tripRng.exponential(Math.max(1e-9, this.tripRatePerMs(nextStart)));
      } else {
        this.fire(this.items.pop()!, nextItem);
      }
    }
    this.flushUntil(Infinity);
    this.finished = true;
    this.finishTruth();
    if (this.buf.length > 0) yield this.buf;
    this.buf = '';
  }

  /** The ground truth; complete once `chunks()` has been consumed. */
  truth(): GroundTruth {
    if (!this.finished) throw new Error('truth() is complete only after the whole output was generated');
    return this.truthData;
  }

  private flushUntil(t: number): void {
    const out = this.out;
    if (out.size > this.maxPending) this.maxPending = out.size;
    while (out.size > 0 && out.peekKey() <= t) this.buf += out.pop()!.line;
  }

  private fire(item: Item, t: number): void {
    switch (item.kind) {
      case 'trip':
        this.capture(item);
        item.k++;
        if (this.advance(item)) this.items.push(item, item.t);
        else this.finishTrip(item);
        return;
      case 'surge': {
        if (t >= item.episode.to) return;
        this.surgePass(item, t);
        this.items.push(item, t + this.surgeRng.exponential(item.rate));
        return;
      }
      case 'clone':
        this.startClone(t, item.meetOnce === true);
        return;
      case 'first_entry':
        this.startFirstEntry(t);
        return;
    }
  }

  // ---- trips ----

  private startTrip(t: number): void {
    const fleet = this.fleet;
    const rng = this.tripRng;
    let v = -1;
    for (let tries = 0; tries < 12; tries++) {
      const c = rng.int(this.fleetCore);
      if (fleet.busyUntil[c]! <= t) {
        v = c;
        break;
      }
    }
    if (v < 0) return; // everyone busy: the trip is not made
    const from = fleet.location[v]!;
    const to = drawDestination(this.city, this.weights, from, rng);
    const route = this.planner.route(from, to);
    if (route === null) return;
    const trip = this.newTrip(v, fleet.plates[v]!, fleet.colors[v]!, fleet.types[v]!, route, to, fleet.speedFactor[v]!, t, null, 0, null);
    fleet.busyUntil[v] = Infinity;
    if (this.advance(trip)) this.items.push(trip, trip.t);
    else this.finishTrip(trip);
  }

  private newTrip(
    vehicle: number,
    plate: string,
    color: PlateColor,
    type: string,
    route: Route,
    dest: number,
    speedFactor: number,
    t: number,
    clone: ClonedPlateTruth | null,
    cloneSide: 0 | 1,
    firstEntry: FirstEntryTruth | null,
  ): Trip {
    return {
      kind: 'trip',
      vehicle,
      plate,
      color,
      type,
      route,
      dest,
      speedFactor,
      clone,
      cloneSide,
      firstEntry,
      jam: null,
      k: 0,
      linkPos: 0,
      posKm: 0,
      t,
      speed: 0,
    };
  }

  /** Moves the trip to its next camera; false when it has passed its last one. `dry`: a look ahead, counted nowhere. */
  private advance(trip: Trip, dry = false): boolean {
    const r = trip.route;
    const k = trip.k;
    if (k >= r.cps.length) return false;
    const targetPos = r.cpLinkPos[k]!;
    const targetOff = r.cpOffsetKm[k]!;
    let t = trip.t;
    let pos = trip.linkPos;
    let off = trip.posKm;
    let v = 1;
    for (;;) {
      const link = this.city.links[r.links[pos]!]!;
      const jam = this.jamAt(link, t);
      if (jam !== null) {
        v = jam.episode.speedKmh * trip.speedFactor;
        if (trip.jam !== jam && !dry) {
          trip.jam = jam;
          jam.trips++;
        }
      } else {
        v = this.linkSpeed(link, t, trip.speedFactor);
      }
      const endOff = pos === targetPos ? targetOff : link.lengthKm;
      t += ((endOff - off) / v) * HOUR;
      if (pos === targetPos) break;
      pos++;
      off = 0;
    }
    trip.t = t;
    trip.linkPos = pos;
    trip.posKm = targetOff;
    trip.speed = v;
    return true;
  }

  private finishTrip(trip: Trip): void {
    if (trip.vehicle < 0) return;
    const r = trip.route;
    let rest = 0;
    for (let p = trip.linkPos; p < r.links.length; p++) rest += this.city.links[r.links[p]!]!.lengthKm;
    rest -= trip.posKm;
    const arrive = trip.t + (rest / Math.max(5, trip.speed || 40)) * HOUR;
    this.fleet.location[trip.vehicle] = trip.dest;
    // Parked a while; a cloned vehicle stays parked an hour so its clone's last sighting is not paired with its next trip.
    this.fleet.busyUntil[trip.vehicle] = arrive + (trip.clone !== null ? HOUR : this.tripRng.exponential(1 / (5 * MIN)));
  }

  private jamAt(link: CityLink, t: number): JamWake | null {
    const jams = this.congestionByLink.get(link.index);
    if (jams !== undefined) for (const j of jams) if (t >= j.episode.from && t < j.episode.to) return j;
    return null;
  }

  /** Free-flow speed with the rush-hour slowdown (jams are handled by the caller). */
  private linkSpeed(link: CityLink, t: number, factor: number): number {
    const minute = Math.floor(t / MIN);
    if (minute !== this.rushMinute) {
      this.rushMinute = minute;
      this.rushValue = rushSpeedFactor(localHour(t));
    }
    return link.limitKmh * factor * this.rushValue;
  }

  // ---- records ----

  private capture(trip: Trip): void {
    const t = trip.t;
    if (t < this.start) return; // pre-roll: traffic already on the road when the run starts
    const cp = trip.route.cps[trip.k]!;
    const tagged = trip.clone !== null || trip.firstEntry !== null;
    if (!tagged) {
      const drop = this.dropByCp.get(cp);
      if (drop !== undefined && t >= drop.from && t < drop.to && this.dropRng.chance(1 - drop.factor)) {
        this.truthData.counts.dropped_by_flow_drop++;
        return;
      }
    }
    const id = this.emit(cp, t, trip.plate, trip.color, trip.type, trip.speed, tagged);
    const link = this.city.cpLink[cp];
    for (const w of this.wakes) {
      if (t >= w.episode.from && t <= w.episode.to + WAKE_MS && link !== w.episode.link) countAt(w.passes, cp, Math.floor((t - w.episode.from) / MIN));
    }
    const wake = trip.jam;
    if (wake !== null && t >= wake.episode.from && t <= wake.episode.to + WAKE_MS && link !== wake.episode.link)
      countAt(wake.seenAt, cp, Math.floor((t - wake.episode.from) / MIN));
    if (trip.clone !== null) {
      const c = trip.clone;
      const ts = Math.round(t + this.skew[cp]!);
      const first = c.records[0].length + c.records[1].length === 0;
      c.from = first ? ts : Math.min(c.from, ts);
      c.to = first ? ts : Math.max(c.to, ts);
      c.records[trip.cloneSide].push(id);
      this.cloneSightings.get(c)?.push({ ts: Math.round(t), cp, seq: this.seq - 1 });
    }
    if (trip.firstEntry !== null && trip.firstEntry.record === '' && this.cps[cp]!.kind === 'entry') {
      const ts = Math.round(t + this.skew[cp]!);
      trip.firstEntry.from = ts;
      trip.firstEntry.to = ts;
      trip.firstEntry.record = id;
    }
    if (!tagged) this.duplicates(cp, t, trip, id);
  }

  private duplicates(cp: number, t: number, trip: Trip, of: string): void {
    const rng = this.noiseRng;
    if (rng.chance(this.noise.laneDuplicateRate) && (this.cps[cp]!.lanes ?? 1) > 1) {
      const id = this.emit(cp, t + rng.range(100, 1500), trip.plate, trip.color, trip.type, trip.speed, false);
      this.truthData.noise.duplicates.push({ id, of, kind: 'lane', checkpoint: this.cps[cp]!.id });
      this.truthData.counts.duplicates++;
    }
    if (rng.chance(this.noise.adjacentDuplicateRate)) {
      const link = this.city.links[this.city.cpLink[cp]!]!;
      const j = link.cps.indexOf(cp);
      const other = j + 1 < link.cps.length ? link.cps[j + 1]! : link.cps[j - 1];
      if (other !== undefined) {
        const id = this.emit(other, t + rng.range(800, 4000), trip.plate, trip.color, trip.type, trip.speed, false);
        this.truthData.noise.duplicates.push({ id, of, kind: 'adjacent', checkpoint: this.cps[other]!.id });
        this.truthData.counts.duplicates++;
      }
    }
  }

  private surgePass(s: Surge, t: number): void {
    const cp = s.episode.cp;
    const v = this.fleet.add(this.surgeRng, this.city.links[this.city.cpLink[cp]!]!.to);
    this.fleet.busyUntil[v] = Infinity;
    const link = this.city.links[this.city.cpLink[cp]!]!;
    const speed = link.limitKmh * this.surgeRng.range(0.55, 0.85);
    this.emit(cp, t, this.fleet.plates[v]!, this.fleet.colors[v]!, this.fleet.types[v]!, speed, false, this.surgeNoiseRng, this.surgeNoiseRng);
  }

  /** Writes one record (with the feed's noise unless `clean`) to the arrival heap; returns its id. */
  private emit(
    cp: number,
    t: number,
    plate: string,
    color: PlateColor,
    type: string,
    speed: number,
    clean: boolean,
    drive = this.driveRng,
    noiseRng = this.noiseRng,
  ): string {
    const c = this.cps[cp]!;
    const id = 'r' + this.seq++;
    const ts = Math.round(t + this.skew[cp]!);
    const lane = 1 + drive.int(c.lanes ?? 1);
    let measured = Math.round(speed * (1 + 0.04 * drive.normal()) * 10) / 10;
    if (measured < 1) measured = 1;
    let shown = plate;
    if (!clean) {
      const rng = noiseRng;
      const u = rng.next();
      const n = this.noise;
      if (u < n.unreadableRate) {
        shown = rng.pick(['unknown', '无牌', '未识别', '', '00000000']);
        this.truthData.counts.unreadable++;
      } else if (u < n.unreadableRate + n.misreadRate) {
        const m = misreadPlate(plate, rng);
        if (m !== null) {
          shown = m;
          this.truthData.noise.misreads.push({ id, plate, plate_color: color, read_as: m, checkpoint: c.id, ts, collides: this.fleet.hasKey(m, color) });
          this.truthData.counts.misreads++;
        }
      } else if (u < n.unreadableRate + n.misreadRate + n.formatVariantRate) {
        shown = formatVariant(plate, rng);
        this.truthData.counts.format_variants++;
      }
    }
    let arrival = t + 200 + drive.next() * 1800;
    const outage = clean && this.noise.outagesSpareAnomalies ? undefined : this.outageByCp.get(cp);
    if (outage !== undefined && t >= outage.plan.from && t < outage.plan.to) {
      // Held by the camera; flushed at ~500 records/s when it comes back.
      arrival = outage.plan.to + outage.truth.records * 2;
      outage.truth.records++;
      this.truthData.counts.late_backlog++;
    }
    const line = `{"id":"${id}","plate":${JSON.stringify(shown)},"plate_color":"${color}","vehicle_type":"${type}","checkpoint":"${c.id}","lane":${lane},"direction":"${c.direction}","speed":${measured},"ts":${ts}}\n`;
    this.out.push({ line }, arrival);
    this.truthData.counts.records++;
    return id;
  }

  // ---- anomalies ----

  private startClone(t: number, meetOnce: boolean): void {
    const pick = pickClone(this.city, this.planner, this.fleet, this.fleetCore, this.anomalyRng, t);
    if (pick === null) return;
    const { vehicle: v, a, b } = pick;
    const rng = this.anomalyRng;
    const plate = this.fleet.plates[v]!;
    const color = this.fleet.colors[v]!;
    const truth: ClonedPlateTruth = {
      type: 'cloned_plate',
      key: plate + '|' + color,
      plate,
      plate_color: color,
      from: t,
      to: t,
      checkpoints: [this.cps[a.route.cps[0]!]!.id, this.cps[b.route.cps[0]!]!.id],
      min_distance_km: Math.round(pick.minKm * 100) / 100,
      records: [[], []],
      impossible_pairs: 0,
      provable_at: t,
    };
    this.truthData.anomalies.push(truth);
    this.cloneSightings.set(truth, []);
    const type = this.fleet.types[v]!;
    const tripA = this.newTrip(v, plate, color, type, a.route, a.to, this.fleet.speedFactor[v]!, t, truth, 0, null);
    const tripB = this.newTrip(-1, plate, color, type, b.route, b.to, rng.range(0.9, 1.1), t, truth, 1, null);
    this.fleet.busyUntil[v] = Infinity;
    if (!this.advance(tripA) || !this.advance(tripB)) return; // cannot happen: both legs pass >= 2 cameras
    if (meetOnce) {
      // The clone's first sighting comes 20-60 s after the real car's last one (in true time: what a detector that
      // corrects camera clocks sees): one switch, and never back.
      const lastSeen = this.lastCaptureOfTrip(tripA);
      tripB.t = Math.max(t, lastSeen + rng.range(20_000, 60_000));
    } else {
      // The clone passes its first camera within half a minute of the real vehicle: both are on the road at once.
      tripB.t = Math.max(t, tripA.t + rng.range(-30_000, 30_000));
    }
    this.items.push(tripA, tripA.t);
    this.items.push(tripB, tripB.t);
  }

  /** The true time of the trip's last capture, looking ahead without side effects. */
  private lastCaptureOfTrip(trip: Trip): number {
    const ahead: Trip = { ...trip };
    let last = ahead.t;
    for (;;) {
      ahead.k++;
      if (!this.advance(ahead, true)) return last;
      last = Math.max(last, ahead.t);
    }
  }

  /**
   * Counts a clone's impossible consecutive pairs (IMPOSSIBLE_PAIR) in true-time order: as a detector that corrects
   * camera clocks sees them (camera skew would otherwise reorder sightings of cameras off by minutes).
   */
  private scoreClone(truth: ClonedPlateTruth): void {
    const seen = [...(this.cloneSightings.get(truth) ?? [])].sort((p, q) => p.ts - q.ts || p.seq - q.seq);
    let pairs = 0;
    let provable = NaN;
    for (let k = 1; k < seen.length; k++) {
      const p = this.cps[seen[k - 1]!.cp]!;
      const q = this.cps[seen[k]!.cp]!;
      const km = haversineKm(p.lat, p.lon, q.lat, q.lon);
      const hours = (Math.abs(seen[k]!.ts - seen[k - 1]!.ts) + IMPOSSIBLE_PAIR.clockErrorMs) / 3_600_000;
      if (km >= IMPOSSIBLE_PAIR.minKm && km / hours > IMPOSSIBLE_PAIR.maxKmh) {
        pairs++;
        if (Number.isNaN(provable)) provable = seen[k]!.ts;
      }
    }
    truth.impossible_pairs = pairs;
    truth.provable_at = Number.isNaN(provable) ? truth.to : provable;
  }

  private startFirstEntry(t: number): void {
    const rng = this.anomalyRng;
    const gate = rng.pick(this.city.externalNodes);
    const to = this.city.gridNodes[rng.weighted(this.weights)]!;
    const route = this.planner.route(gate, to);
    if (route === null) return;
    const { plate, color, sameNumber } = pickNewcomer(this.fleet, this.fleetCore, rng);
    this.fleet.reserve(plate, color);
    const entryCp = route.cps.find((i) => this.cps[i]!.kind === 'entry');
    if (entryCp === undefined) return;
    const truth: FirstEntryTruth = {
      type: 'first_entry',
      key: plate + '|' + color,
      plate,
      plate_color: color,
      checkpoint: this.cps[entryCp]!.id,
      from: t,
      to: t,
      same_number_other_color: sameNumber,
      record: '',
    };
    this.truthData.anomalies.push(truth);
    const trip = this.newTrip(-1, plate, color, vehicleTypeFor(color, rng), route, to, rng.range(0.9, 1.1), t, null, 0, truth);
    if (this.advance(trip)) this.items.push(trip, trip.t);
  }

  private finishTruth(): void {
    const d = this.truthData;
    // Episodes whose records fell outside the run (or never happened) are not ground truth.
    for (const a of d.anomalies) if (a.type === 'cloned_plate') this.scoreClone(a);
    const kept = d.anomalies.filter((a) =>
      a.type === 'first_entry' ? a.record !== '' : a.type === 'cloned_plate' ? a.records[0].length > 0 && a.records[1].length > 0 : true,
    );
    d.anomalies.length = 0;
    d.anomalies.push(...kept.sort((a, b) => a.from - b.from || a.type.localeCompare(b.type) || a.key.localeCompare(b.key)));
    for (const o of d.noise.outages) if (o.records === 0) (o as { flushed_at: number }).flushed_at = o.to;
    for (const wakes of this.congestionByLink.values()) {
      for (const w of wakes) {
        const ids = [...w.seenAt].filter(([cp, held]) => inWake(held, w.passes.get(cp) ?? [])).map(([cp]) => this.cps[cp]!.id);
        (w.truth as { downstream_checkpoints: readonly string[] }).downstream_checkpoints = ids.sort();
      }
    }
    const fleet = this.fleet;
    for (let v = 0; v < fleet.size; v++) d.known_vehicles.push([fleet.plates[v]!, fleet.colors[v]!]);
  }
}
