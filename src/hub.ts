import { durationMs } from './core/duration.js';
import { Executor, type SubmitResult } from './execute/executor.js';
import { silentLogger, type Logger } from './log/logger.js';
import { reconcile, type ReconcileResult } from './reconcile/reconcile.js';
import { listConnectors, type ConnectorRow } from './registry/connectors.js';
import { dbPath, openDb, type Db } from './registry/db.js';
import { failInterrupted, lastSlot, recordSlot } from './registry/executions.js';
import { recordSkip, type SkipReason } from './registry/skips.js';
import { Scheduler } from './schedule/scheduler.js';
import { SlotClock } from './schedule/slots.js';
import { loadHubConfig, requireHubConfig, type HubConfig } from './spec/hub-config.js';
import { repoRoot } from './spec/load.js';
import { GitState, DEFAULT_COMMIT_INTERVAL } from './gitstate/state.js';
import { readSnapshot, restoreFromTarget } from './gitstate/restore.js';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface HubOptions {
  repo: string;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** Pauses between push attempts after a rejection (default 1 s, 2 s, 4 s). */
  pushBackoffMs?: number[];
}

/**
 * The hub: the registry, the reconciler, the scheduler and the executor wired together.
 * It owns start and stop; everything else reaches the parts through it.
 */
export class Hub {
  readonly root: string;
  readonly db: Db;
  config: HubConfig;
  readonly executor: Executor;
  readonly scheduler: Scheduler;
  readonly gitState: GitState;
  /** False outside a git repository: runs are still recorded on disk, nothing is committed. */
  readonly inGit: boolean;
  private readonly freshDb: boolean;
  private readonly log: Logger;
  private readonly now: () => Date;
  private versions = new Map<string, string>();
  private pullTimer: NodeJS.Timeout | undefined;
  /** Whether start() began the commit and pull loops (tests drive git by hand). */
  private gitLoops = false;
  private reconciling: Promise<ReconcileResult> | undefined;

  constructor(o: HubOptions) {
    this.root = repoRoot(o.repo);
    this.log = o.log ?? silentLogger;
    this.now = o.now ?? (() => new Date());
    this.config = requireHubConfig(this.root);
    this.freshDb = !existsSync(dbPath(this.root));
    this.db = openDb(dbPath(this.root));
    this.gitState = new GitState(this.db, this.root, this.config, this.log, o.pushBackoffMs ? { backoffMs: o.pushBackoffMs } : {});
    this.inGit = isGitRepo(this.root);
    this.executor = new Executor({
      db: this.db, root: this.root, hub: this.config, log: this.log, now: this.now, onOutput: (p) => this.gitState.recordOutput(p),
      ...(o.env ? { env: o.env } : {}), ...(o.killGraceMs !== undefined ? { killGraceMs: o.killGraceMs } : {}),
    });
    this.executor.onFinished((e) => this.gitState.recordRun(e));
    this.scheduler = new Scheduler((id, slot) => this.onSlot(id, slot), this.now);
  }

  /**
   * Restores the registry from the repository when there is no database yet, recovers
   * from a crash, applies the files, schedules, makes missed runs within their catch-up
   * window, and starts committing state.
   */
  async start(opts: { commitLoop?: boolean } = {}): Promise<void> {
    if (this.freshDb && this.inGit) {
      const snapshot = await readSnapshot(this.gitState.target);
      if (snapshot) {
        const { connectors, runs, skipped } = await restoreFromTarget(this.db, snapshot, this.gitState.target);
        this.log.info({ connectors, runs }, 'registry restored from the repository');
        for (const s of skipped) this.log.warn({ file: s.path, err: s.error }, 'run record skipped by restore; fix the file and run agent-hub restore to take it');
      }
    }
    const interrupted = failInterrupted(this.db, this.now());
    if (interrupted) this.log.warn({ count: interrupted }, 'runs left unfinished by the last stop were marked failed (interrupted)');
    const { written } = await this.gitState.repairRecords();
    if (written) this.log.info({ count: written }, 'run records written for runs that had none');
    await this.reconcile();
    const resumed = this.executor.resumeRetries();
    if (resumed) this.log.info({ count: resumed }, 'retries recorded before the last stop resume');
    this.catchUp();
    if (this.inGit && opts.commitLoop !== false) {
      this.gitState.start(this.config.state?.commitInterval ?? DEFAULT_COMMIT_INTERVAL);
      this.gitLoops = true;
      this.startPulling();
      if (this.gitState.remote) void this.syncRemote(); // at once: what was merged while the hub was down goes live now
    }
  }

  /** Pulls every remote.pullInterval while the remote is enabled (and the git loops run). */
  private startPulling(): void {
    clearInterval(this.pullTimer);
    this.pullTimer = undefined;
    if (this.gitLoops && this.gitState.remote) this.pullTimer = setInterval(() => void this.syncRemote(), durationMs(this.config.remote?.pullInterval ?? '60s'));
  }

  /** Pulls from the remote (and pushes); reconciles when connectors came in. */
  async syncRemote(): Promise<void> {
    try {
      const pulled = await this.gitState.sync();
      if (pulled?.updated) await this.reconcile();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'sync with the remote failed; will retry');
    }
  }

  /** Reconciles files → registry → scheduler. Concurrent calls share one pass. */
  async reconcile(): Promise<ReconcileResult> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = (async () => {
      try {
        const result = await reconcile(this.root, this.db);
        for (const d of result.blocking) this.log.error({ file: d.file, line: d.line, column: d.column }, d.message);
        for (const a of result.plan.actions) {
          if (a.kind === 'invalid') {
            for (const d of a.file.diagnostics.filter((x) => x.severity === 'error')) {
              this.log.warn({ file: d.file, line: d.line, column: d.column, field: d.path, connector: a.id, keepsLastGood: a.keepsLastGood }, `${d.message}${d.hint ? ` (${d.hint})` : ''}`);
            }
          } else if (a.kind !== 'unchanged') {
            this.log.info({ connector: a.id, action: a.kind }, `connector ${a.kind === 'remove' ? 'removed' : `${a.kind}d`}`);
          }
        }
        this.syncSchedule();
        return result;
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  /**
   * Re-reads hub.yaml after it changed. Run settings (concurrency, claude.command,
   * defaults.maxOutputBytes), the state author and commit interval and the remote settings
   * apply at once; connector defaults apply through the reconcile; `server` and
   * `state.branch` at the next start. An invalid hub.yaml is reported and the current
   * settings stay.
   */
  reloadConfig(): { applied: boolean; restartNeeded: string[] } {
    const next = loadHubConfig(this.root);
    if (next.diagnostics.length) {
      for (const d of next.diagnostics) this.log.error({ file: d.file, line: d.line, column: d.column }, `${d.message}${d.hint ? ` (${d.hint})` : ''}; the current settings stay`);
      return { applied: false, restartNeeded: [] };
    }
    const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    const restartNeeded = [
      ...(changed(next.config.server, this.config.server) ? ['server'] : []),
      ...(next.config.state?.branch !== this.config.state?.branch ? ['state.branch'] : []),
    ];
    const gitChanged = changed(next.config.state, this.config.state) || changed(next.config.remote, this.config.remote);
    this.config = next.config;
    this.executor.configure(next.config);
    if (gitChanged && this.inGit) {
      this.gitState.reconfigure(next.config);
      this.startPulling();
    }
    if (restartNeeded.length) this.log.warn({ settings: restartNeeded }, 'hub.yaml changed settings that take effect at the next start');
    return { applied: true, restartNeeded };
  }

  /** Runs a connector now (manual or API trigger). */
  run(connectorId: string, inputs: Record<string, unknown> = {}, trigger: 'manual' | 'api' = 'api', coerceInputs = false): SubmitResult {
    return this.executor.submit({ connectorId, trigger, inputs, coerceInputs });
  }

  /** Stops scheduling, drains running runs (grace period, then cancel), closes the database. */
  async stop(graceMs = durationMs(this.config.shutdown?.gracePeriod ?? '30s')): Promise<void> {
    this.gitLoops = false;
    clearInterval(this.pullTimer);
    this.scheduler.stop();
    await this.executor.stop(graceMs);
    if (this.inGit) await this.gitState.stop();
    this.db.close();
  }

  private scheduled(): ConnectorRow[] {
    return listConnectors(this.db).filter((c) => c.active && c.version.spec.enabled && c.version.spec.schedule);
  }

  private syncSchedule(): void {
    const all = listConnectors(this.db);
    const seen = new Map(all.filter((c) => c.active).map((c) => [c.id, c.specHash]));
    // A new version (or a removed connector) drops the retries still waiting for the old one.
    for (const [id, hash] of this.versions) if (seen.get(id) !== hash) this.executor.dropRetries(id);
    this.versions = seen;
    const changes = this.scheduler.sync(this.scheduled().map((c) => ({ id: c.id, schedule: c.version.spec.schedule as string, ...(c.version.spec.timezone ? { timezone: c.version.spec.timezone } : {}) })));
    if (changes.added.length + changes.changed.length + changes.removed.length) this.log.debug({ ...changes }, 'schedule updated');
  }

  private onSlot(id: string, slot: Date, trigger: 'schedule' | 'catch-up' = 'schedule'): void {
    recordSlot(this.db, id, slot);
    let skip: { reason: SkipReason; message: string } | undefined;
    try {
      const r = this.executor.submit({ connectorId: id, trigger, scheduledFor: slot });
      // A duplicate slot already ran; every other refusal, and a budget stop, is a slot that did not become a run.
      if (r.status !== 'queued') {
        if (r.reason === 'duplicate-slot') this.log.info({ connector: id, slot, reason: r.reason }, r.message);
        else skip = { reason: r.reason, message: r.message };
      }
    } catch (err) {
      this.log.error({ connector: id, slot, err: (err as Error).message }, 'scheduled run not started');
      skip = { reason: 'error', message: (err as Error).message };
    }
    if (!skip) return;
    this.log.warn({ connector: id, slot, trigger, reason: skip.reason }, `scheduled run skipped (${skip.reason}): ${skip.message}`);
    try {
      recordSkip(this.db, { connectorId: id, reason: skip.reason, slot, at: this.now(), message: skip.message });
    } catch (err) {
      this.log.error({ connector: id, slot, err: (err as Error).message }, 'could not record the skipped slot');
    }
  }

  /** After downtime: the latest missed slot of each connector, once, if within its catchUp window. */
  private catchUp(): void {
    const now = this.now();
    for (const c of this.scheduled()) {
      const { spec } = c.version;
      if (!spec.catchUp) continue;
      const windowStart = new Date(now.getTime() - durationMs(spec.catchUp));
      const since = lastSlot(this.db, c.id) ?? (c.appliedAt ? new Date(c.appliedAt) : now);
      const from = since > windowStart ? since : windowStart;
      const missed = new SlotClock(spec.schedule as string, spec.timezone).latestBetween(from, now);
      if (missed) {
        this.log.info({ connector: c.id, slot: missed }, 'catching up a missed run');
        this.onSlot(c.id, missed, 'catch-up');
      }
    }
  }
}

function isGitRepo(dir: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
