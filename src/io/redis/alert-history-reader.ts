/**
 * The read side of the alert history (see alert-history.ts): pages newest first with a stream-id cursor, and
 * followers that catch up from an id and then go on live.
 *
 * Live entries come from one tail per reader, not one per follower: a dedicated connection blocks in XREAD and
 * hands each new entry to every follower, which filters it. A follower that resumes from an id first joins the
 * tail (buffering), waits until the tail knows where it starts, reads what it missed with XRANGE on the command
 * connection, then plays the buffered entries it has not sent: nothing between the two is lost or sent twice.
 */
import type { Redis } from 'ioredis';
import { type Logger, silentLogger } from '../../core/index.js';
import {
  type AlertEntry,
  type AlertFilter,
  type AlertFollower,
  type AlertHistory,
  type AlertHistoryKeys,
  type AlertPage,
  compareStreamIds,
  matchingEntry,
  type RawEntry,
  streamIdMs,
} from './alert-history.js';

export interface RedisAlertHistoryOptions {
  /** Opens a connection (called for the command connection and for the tail's blocking one, each when first needed). */
  readonly connect: () => Promise<Redis>;
  readonly keys: AlertHistoryKeys;
  readonly log?: Logger;
  /** How long one XREAD blocks; the tail notices it has no follower left within this. Default 5000 ms. */
  readonly blockMs?: number;
  /** Entries a page request reads at most before it answers with what it found (and a cursor to go on). */
  readonly scanBudget?: number;
}

type Listener = (entry: RawEntry) => void;

export class RedisAlertHistory implements AlertHistory {
  private command: Promise<Redis> | undefined;
  private tailConnection: Redis | undefined;
  private readonly listeners = new Set<Listener>();
  /** Resolves once the tail knows its starting id; undefined while no tail runs. */
  private tailStarted: Promise<void> | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly options: RedisAlertHistoryOptions) {
    this.log = options.log ?? silentLogger;
  }

  private redis(): Promise<Redis> {
    if (this.closed) return Promise.reject(new Error('the alert history is closed'));
    const pending = (this.command ??= this.options.connect());
    // A failed connect is tried again by the next request.
    pending.catch(() => {
      if (this.command === pending) this.command = undefined;
    });
    return pending;
  }

  async page(filter: AlertFilter, { before, limit }: { readonly before?: string; readonly limit: number }): Promise<AlertPage> {
    const redis = await this.redis();
    const budget = this.options.scanBudget ?? 20_000;
    // Unfiltered, a page is about `limit` entries; a filter may skip most of what it reads: read more at a time.
    const filtered = Object.keys(filter).length > 0;
    const chunk = Math.min(budget, filtered ? 1000 : Math.max(10, limit + 1));
    const alerts: AlertEntry[] = [];
    let end = before === undefined ? '+' : `(${before}`;
    let scanned = 0;
    for (;;) {
      const rows = (await redis.xrevrange(this.options.keys.stream, end, '-', 'COUNT', chunk)) as RawEntry[];
      for (const row of rows) {
        scanned++;
        // An entry is appended after its alert was detected: once the ids are older than detectedFrom, so is
        // every alert further back.
        if (filter.detectedFrom !== undefined && streamIdMs(row[0]) < filter.detectedFrom) return { alerts, next: null };
        const entry = matchingEntry(row, filter);
        if (entry !== null) alerts.push(entry);
        if (alerts.length === limit) return { alerts, next: row[0] };
      }
      const last = rows[rows.length - 1];
      if (rows.length < chunk || last === undefined) return { alerts, next: null };
      // A filter that matches little answers with what it found so far rather than reading the whole stream.
      if (scanned >= budget) return { alerts, next: last[0] };
      end = `(${last[0]}`;
    }
  }

  follow(after: string | undefined, filter: AlertFilter, onEntry: (entry: AlertEntry) => void, onError: (error: Error) => void): AlertFollower {
    let stopped = false;
    let live = false;
    let lastSent = after;
    const buffered: RawEntry[] = [];
    const deliver = (row: RawEntry): void => {
      if (stopped || (lastSent !== undefined && compareStreamIds(row[0], lastSent) <= 0)) return;
      lastSent = row[0];
      const entry = matchingEntry(row, filter);
      if (entry !== null) onEntry(entry);
    };
    const listener: Listener = (row) => {
      if (live) deliver(row);
      else buffered.push(row);
    };
    const stop = (): void => {
      stopped = true;
      this.listeners.delete(listener);
    };
    this.listeners.add(listener);
    const started = this.ensureTail();
    const ready = started.catch((error: unknown) => {
      stop();
      throw error;
    });
    // Callers that never await it must not see an unhandled rejection.
    ready.catch(() => undefined);
    void (async () => {
      try {
        await started;
      } catch {
        return;
      }
      try {
        if (after !== undefined) {
          const redis = await this.redis();
          let from = after;
          for (;;) {
            if (stopped) return;
            const rows = (await redis.xrange(this.options.keys.stream, `(${from}`, '+', 'COUNT', 500)) as RawEntry[];
            for (const row of rows) deliver(row);
            const last = rows[rows.length - 1];
            if (rows.length < 500 || last === undefined) break;
            from = last[0];
          }
        }
        for (const row of buffered.splice(0)) deliver(row);
        live = true;
      } catch (error) {
        if (stopped) return;
        stop();
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    return { ready, stop };
  }

  /** Starts the tail if none runs; resolves once it knows the id it reads after. */
  private ensureTail(): Promise<void> {
    if (this.tailStarted !== undefined) return this.tailStarted;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    started.catch(() => undefined);
    this.tailStarted = started;
    void this.runTail(ready, failed, () => {
      // Cleared as the tail ends, synchronously: a follower that comes later starts a new tail.
      if (this.tailStarted === started) this.tailStarted = undefined;
    });
    return started;
  }

  private async runTail(ready: () => void, failed: (error: Error) => void, ended: () => void): Promise<void> {
    let connection: Redis;
    let from: string;
    try {
      connection = await this.options.connect();
      this.tailConnection = connection;
      // Where the stream ends now: the tail reads after it (never '$' twice, which would skip what came between).
      const newest = (await connection.xrevrange(this.options.keys.stream, '+', '-', 'COUNT', 1)) as RawEntry[];
      from = newest[0]?.[0] ?? '0-0';
    } catch (error) {
      ended();
      failed(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    ready();
    const block = this.options.blockMs ?? 5000;
    try {
      while (!this.closed && this.listeners.size > 0) {
        let reply: [string, RawEntry[]][] | null;
        try {
          reply = (await connection.xread('COUNT', 500, 'BLOCK', block, 'STREAMS', this.options.keys.stream, from)) as [string, RawEntry[]][] | null;
        } catch (error) {
          if (this.closed) return;
          this.log.warn(`vigil serve: the live alert stream lost Redis (retrying): ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        for (const [, rows] of reply ?? []) {
          for (const row of rows) {
            from = row[0];
            for (const listener of [...this.listeners]) listener(row);
          }
        }
      }
    } finally {
      ended();
      if (this.tailConnection === connection) this.tailConnection = undefined;
      connection.disconnect();
    }
  }

  /** Followers attached to the live tail (for tests and the server's cleanup). */
  get followers(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.tailConnection?.disconnect();
    const command = this.command;
    this.command = undefined;
    if (command !== undefined) (await command.catch(() => undefined))?.disconnect();
  }
}
