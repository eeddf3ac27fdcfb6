import type { City } from './city.js';

/** A route between two nodes with the cameras it passes, precomputed for the trip simulation. */
export interface Route {
  readonly links: readonly number[];
  /** Per camera passed, in order: checkpoint index, position in `links`, and km from the link start. */
  readonly cps: readonly number[];
  readonly cpLinkPos: readonly number[];
  readonly cpOffsetKm: readonly number[];
}

/** Fastest routes at free-flow speed (Dijkstra), cached per origin-destination pair. */
export class RoutePlanner {
  private readonly cache = new Map<number, Route | null>();
  private readonly n: number;

  constructor(private readonly city: City) {
    this.n = city.nodes.length;
  }

  route(from: number, to: number): Route | null {
    const key = from * this.n + to;
    let r = this.cache.get(key);
    if (r === undefined) {
      r = this.compute(from, to);
      this.cache.set(key, r);
    }
    return r;
  }

  private compute(from: number, to: number): Route | null {
    if (from === to) return null;
    const { links, outLinks } = this.city;
    const n = this.n;
    const dist = new Float64Array(n).fill(Infinity);
    const via = new Int32Array(n).fill(-1);
    const done = new Uint8Array(n);
    dist[from] = 0;
    // n is ~100: an O(n^2) scan is simpler than a heap and fast enough (routes are cached).
    for (;;) {
      let u = -1;
      let best = Infinity;
      for (let v = 0; v < n; v++) {
        if (done[v] === 0 && dist[v]! < best) {
          best = dist[v]!;
          u = v;
        }
      }
      if (u < 0 || u === to) break;
      done[u] = 1;
      for (const li of outLinks[u]!) {
        const l = links[li]!;
        // Through traffic does not leave the city and come back.
        if (l.to !== to && this.city.nodes[l.to]!.external) continue;
        const d = best + l.lengthKm / l.limitKmh;
        if (d < dist[l.to]!) {
          dist[l.to] = d;
          via[l.to] = li;
        }
      }
    }
    if (via[to] === -1) return null;
    const path: number[] = [];
    for (let v = to; v !== from; v = links[via[v]!]!.from) path.push(via[v]!);
    path.reverse();
    const cps: number[] = [];
    const cpLinkPos: number[] = [];
    const cpOffsetKm: number[] = [];
    path.forEach((li, pos) => {
      const l = links[li]!;
      l.cps.forEach((cp, k) => {
        cps.push(cp);
        cpLinkPos.push(pos);
        cpOffsetKm.push(l.cpOffsetKm[k]!);
      });
    });
    return { links: path, cps, cpLinkPos, cpOffsetKm };
  }
}
