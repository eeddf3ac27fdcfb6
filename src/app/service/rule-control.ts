/**
 * The rules of a running service as its API sees them: the loaded set (listed, shown, versioned), a check of a
 * candidate set that changes nothing, and a hot reload. RuleBook holds the loaded set and does everything but the
 * reload itself, which only the service can do (it owns the tasks and their state).
 */

import type { CheckpointRegistry } from '../../traffic/registry.js';
import { checkBuild } from '../check-build.js';
import { ProgramErrors, UserError } from '../errors.js';
import type { LoadedProgram } from '../program.js';
import {
  type CarriedRuleSetText,
  type Diagnostic,
  describeRule,
  describeRules,
  diagnosticsOf,
  isRuleFile,
  loadRuleSetFromDisk,
  loadRuleSetFromText,
  type RuleDetail,
  type RuleInfo,
  type RuleSetText,
  ruleSetVersion,
  warningsOf,
} from './rule-set.js';
import type { MemberVersion } from './rule-sync.js';

/** Read from the folders, sent over the API, or taken from the group's stored set (another process's reload). */
export type RuleSetOrigin = 'disk' | 'api' | 'group';

export interface RuleSetView {
  /** A hash of the set's files (see ruleSetVersion). */
  readonly version: string;
  /** Epoch ms. */
  readonly loadedAt: number;
  readonly origin: RuleSetOrigin;
  readonly ruleFiles: readonly string[];
  readonly patternFiles: readonly string[];
  readonly rules: readonly RuleInfo[];
}

export interface RuleSetCheck {
  readonly ok: boolean;
  /** The version the set would have; null when it does not compile. */
  readonly version: string | null;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  readonly rules: number;
  readonly enabled: number;
}

/**
 * What a reload did to each rule's state. kept: restored from the state it had (unchanged, or changed in ways its
 * state still fits, as a savepoint restores); reset: its state did not fit the changed rule and it starts empty;
 * dropped: removed (or disabled), its state dropped; added: new, starts empty.
 */
export type RuleOutcome = 'kept' | 'reset' | 'dropped' | 'added';

export interface RuleReload {
  readonly id: string;
  readonly outcome: RuleOutcome;
  /** Its rule file or its pattern's file differs from the running set's. */
  readonly changed: boolean;
}

export interface ReloadResult {
  readonly from: string;
  readonly version: string;
  readonly origin: RuleSetOrigin;
  /** Wall time from the request to the new job running (compile, check, snapshot, rebuild, restore, checkpoint). */
  readonly durationMs: number;
  /**
   * Where it went: compiling and checking the set and building its job, waiting for the batch boundary, snapshot,
   * rebuild and restore of every task, and the checkpoint of the new tasks.
   */
  readonly phasesMs: { compile: number; wait: number; swap: number; checkpoint: number };
  /** Tasks of this process rebuilt. */
  readonly tasks: number;
  readonly rules: readonly RuleReload[];
  /** Every operator (uid) whose state was reset or dropped, rules' and streams' alike. */
  readonly operators: { readonly reset: readonly string[]; readonly dropped: readonly string[] };
  /** True when the set was the running one: nothing was rebuilt. */
  readonly unchanged: boolean;
}

/** A rule set that does not compile: refused with its positioned errors; the running job is untouched. */
export class RuleSetRejected extends UserError {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(`the rule set has ${diagnostics.length} error(s): ${diagnostics[0]?.text.split('\n')[0] ?? ''}`);
  }
}

export type ReloadRefusal = 'not_running' | 'topology_changed' | 'state_not_restored' | 'reload_in_progress';

/** A good rule set this reload cannot apply now or without losing state; the running job is untouched. */
export class ReloadRefused extends UserError {
  constructor(
    readonly reason: ReloadRefusal,
    message: string,
    readonly rules: readonly RuleReload[] = [],
  ) {
    super(message);
  }
}

export interface ReloadOptions {
  /** Drop the state of removed rules and reset state that no longer fits, as `--allow-non-restored-state`. */
  readonly allowNonRestoredState: boolean;
}

export interface RuleControl {
  view(): RuleSetView;
  rule(id: string): RuleDetail | undefined;
  /** Checks a rule set as `vigil check` does; changes nothing. */
  validate(text: RuleSetText): Promise<RuleSetCheck>;
  /** Compiles and checks a new set (from the folders when `text` is null), then swaps it in at a batch boundary. */
  reload(text: RuleSetText | null, options: ReloadOptions): Promise<ReloadResult>;
  /** The group's stored set and the version each process reports running; null without a group (not started). */
  group(): Promise<GroupRules | null>;
}

export interface GroupRules {
  /** The version stored for the group: what every process should run. */
  readonly stored: string | null;
  readonly members: readonly MemberVersion[];
}

export interface RuleBookOptions {
  readonly registry: CheckpointRegistry;
  readonly paths: { readonly patterns: string; readonly rules: string };
  readonly cwd: string;
  readonly timeZone?: string;
  readonly now?: () => number;
}

/** The loaded set, and the checks every reload and validation goes through first. */
export class RuleBook {
  private current: LoadedProgram;
  private version: string;
  private loadedAt: number;
  private origin: RuleSetOrigin = 'disk';
  private readonly now: () => number;

  constructor(
    loaded: LoadedProgram,
    private readonly options: RuleBookOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.current = loaded;
    this.version = ruleSetVersion(loaded);
    this.loadedAt = this.now();
  }

  get loaded(): LoadedProgram {
    return this.current;
  }

  get currentVersion(): string {
    return this.version;
  }

  view(): RuleSetView {
    const files = this.current.sources.map((s) => s.file);
    return {
      version: this.version,
      loadedAt: this.loadedAt,
      origin: this.origin,
      ruleFiles: files.filter(isRuleFile),
      patternFiles: files.filter((f) => !isRuleFile(f)),
      rules: describeRules(this.current),
    };
  }

  rule(id: string): RuleDetail | undefined {
    return describeRule(this.current, id);
  }

  /**
   * Reads (from the folders when `text` is null) and compiles a set, and builds its job once: the set a reload would
   * run. Throws RuleSetRejected with every positioned error.
   */
  async prepare(text: CarriedRuleSetText | null): Promise<LoadedProgram> {
    const { registry, timeZone, paths, cwd } = this.options;
    try {
      const loaded = text === null ? loadRuleSetFromDisk(paths, registry, cwd, timeZone) : loadRuleSetFromText(text, this.current, registry, timeZone);
      await checkBuild(loaded);
      return loaded;
    } catch (error) {
      if (error instanceof ProgramErrors) throw new RuleSetRejected(diagnosticsOf(error));
      throw error;
    }
  }

  async validate(text: RuleSetText): Promise<RuleSetCheck> {
    try {
      const loaded = await this.prepare(text);
      return {
        ok: true,
        version: ruleSetVersion(loaded),
        errors: [],
        warnings: warningsOf(loaded),
        rules: loaded.allRules.length,
        enabled: loaded.rules.length,
      };
    } catch (error) {
      if (!(error instanceof RuleSetRejected)) throw error;
      return { ok: false, version: null, errors: error.diagnostics, warnings: [], rules: 0, enabled: 0 };
    }
  }

  /** The set the service now runs. */
  accept(loaded: LoadedProgram, origin: RuleSetOrigin): void {
    this.current = loaded;
    this.version = ruleSetVersion(loaded);
    this.loadedAt = this.now();
    this.origin = origin;
  }
}
