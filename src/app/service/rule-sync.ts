/**
 * One rule set for every process of a consumer group. The set a process accepted last (its files' texts and
 * version) is kept in Redis beside the group's checkpoints and announced on a channel; every process reloads the
 * stored set when an announcement names a version other than its own, and a process that joins a live group runs
 * the stored set rather than its folders (the checkpoints it restores were written by that set). Followers always load
 * the stored set, never the message: when two reloads race, the group ends on the one stored last.
 *
 *   vigil:rules:<group>:<input topic>          the set, JSON (StoredRuleSet)
 *   vigil:rules:<group>:<input topic>:version  its version, read by the periodic check
 *   vigil:rules:<group>:<input topic>:members  hash: process -> {"version", "at"}: what each one runs
 *   channel vigil:rules:<group>:<input topic>  announcements: a version
 */
import { basename } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from '../../core/index.js';
import type { LoadedProgram, TableText } from '../program.js';
import { isRuleFile, type RuleSetText } from './rule-set.js';

export interface StoredRuleSet {
  readonly version: string;
  readonly rules: Readonly<Record<string, string>>;
  readonly patterns: Readonly<Record<string, string>>;
  /** The table files its patterns read, as the storing process read them (absent in sets stored before tables). */
  readonly tables?: readonly TableText[];
  /** Epoch ms. */
  readonly storedAt: number;
  /** The process that stored it. */
  readonly by: string;
}

export interface MemberVersion {
  readonly member: string;
  readonly version: string;
  /** Epoch ms of its last report. */
  readonly at: number;
}

/** The texts of a loaded set by file name, as the API takes them: what another process compiles again. */
export function ruleSetText(loaded: LoadedProgram): Required<RuleSetText> {
  const rules: Record<string, string> = {};
  const patterns: Record<string, string> = {};
  for (const s of loaded.sources) (isRuleFile(s.file) ? rules : patterns)[basename(s.file)] = s.source;
  return { rules, patterns };
}

export class RuleSync {
  private readonly key: string;
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    readonly member: string,
    private readonly log: Logger,
  ) {
    this.key = `vigil:rules:${namespace}`;
  }

  async stored(): Promise<StoredRuleSet | null> {
    const text = await this.redis.get(this.key);
    if (text === null) return null;
    try {
      return JSON.parse(text) as StoredRuleSet;
    } catch {
      this.log.warn(`vigil serve: ${this.key} holds no rule set (not JSON): ignored`);
      return null;
    }
  }

  async storedVersion(): Promise<string | null> {
    return this.redis.get(`${this.key}:version`);
  }

  /** Stores the set, then announces its version to the group. */
  async publish(loaded: LoadedProgram, version: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.key, JSON.stringify(this.toStored(loaded, version)))
      .set(`${this.key}:version`, version)
      .exec();
    await this.redis.publish(this.key, version);
  }

  /** Records the version this process runs, for the group's view. */
  async report(version: string, at: number): Promise<void> {
    await this.redis.hset(`${this.key}:members`, this.member, JSON.stringify({ version, at }));
  }

  async leave(): Promise<void> {
    await this.redis.hdel(`${this.key}:members`, this.member);
  }

  async members(): Promise<MemberVersion[]> {
    const all = await this.redis.hgetall(`${this.key}:members`);
    const out: MemberVersion[] = [];
    for (const [member, text] of Object.entries(all)) {
      try {
        const v = JSON.parse(text) as { version?: unknown; at?: unknown };
        if (typeof v.version === 'string' && typeof v.at === 'number') out.push({ member, version: v.version, at: v.at });
      } catch {
        // not ours
      }
    }
    return out.sort((a, b) => a.member.localeCompare(b.member));
  }

  /** Calls `onVersion` with each announced version, on a connection of its own (a subscriber can do nothing else). */
  async subscribe(onVersion: (version: string) => void): Promise<void> {
    const sub = this.redis.duplicate();
    sub.on('error', (error: Error) => this.log.warn(`vigil serve: rule announcements: ${error.message}`));
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.key) onVersion(message);
    });
    await sub.subscribe(this.key);
    this.subscriber = sub;
  }

  async close(): Promise<void> {
    await this.leave().catch(() => undefined);
    if (this.subscriber !== undefined) await this.subscriber.quit().catch(() => undefined);
    this.subscriber = undefined;
  }

  private toStored(loaded: LoadedProgram, version: string): StoredRuleSet {
    return { version, ...ruleSetText(loaded), tables: loaded.tableTexts, storedAt: Date.now(), by: this.member };
  }
}
