import { durationMs } from './core/duration.js';
import { HubLoops } from './hub-loops.js';
import { SlotRunner } from './hub-slots.js';
import type { Executor, SubmitResult } from './execute/executor.js';
import { DEFAULT_KILL_GRACE_MS } from './execute/backend.js';
import { createExecution } from './execute/factory.js';
import { abandonOwnRuns, stopOrphans } from './execute/orphans.js';
import { adoptableRuns } from './execute/queue/adopt.js';
import { silentLogger, type Logger } from './log/logger.js';
import type { ReconcileResult } from './reconcile/reconcile.js';
import { ReconcileQueue } from './reconcile/queue.js';
import { ReconcilePasses, type ReconcilePass } from './hub-pass.js';
import { ScheduleSync } from './hub-schedule.js';
import { StorageHealth, type StorageProblem } from './registry/storage.js';
import { readHubBytes } from './spec/hub-file.js';
import { dbPath, openDb, type Db } from './registry/db.js';
import { failInterrupted } from './registry/executions.js';
import { Scheduler } from './schedule/scheduler.js';
import { HubConfigError, loadHubConfig, type HubConfig } from './spec/hub-config.js';
import { repoRoot } from './spec/load.js';
import { GitState } from './gitstate/state.js';
import { readSnapshot, restoreFromTarget } from './gitstate/restore.js';
import { insideWorkTree } from './gitstate/git.js';
import { existsSync } from 'node:fs';
import { HubEvents } from './events/hub-events.js';
import { RunEvents } from './execute/live.js';
import { pruneCommittedTranscripts } from './gitstate/transcript-prune.js';

export interface HubOptions {
  repo: string;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** Pauses between push attempts after a rejection (default 1 s, 2 s, 4 s). */
  pushBackoffMs?: number[];
  /** Between retries of writes that failed for lack of space (default 1 s). */
  storageRetryMs?: number;
}

export type { ReconcilePass } from './hub-pass.js';

/** What /healthz, the dashboard and `status` say of the hub as a whole. */
export interface HubHealth {
  status: 'ok' | 'degraded';
  /** Why it is degraded, one line each: `disk full: /srv/hub/.agent-hub/hub.db`. */
  reasons: string[];
  storage: StorageProblem & { unrecordedRuns: number } | null;
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
  /** Running runs' events, for live viewers (SSE, `agent-hub logs -f`). */
  readonly live = new RunEvents();
  readonly scheduler: Scheduler;
  readonly gitState: GitState;
  /** False outside a git repository: runs are still recorded on disk, nothing is committed. */
  readonly inGit: boolean;
  private readonly freshDb: boolean;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** The commit, pull and resync timers. */
  private readonly loops: HubLoops;
  /** Every reconcile trigger goes through this queue: one pass at a time, one more when something arrived during a pass. */
  private readonly reconciles = new ReconcileQueue((triggers, changed) => this.passes.run(triggers, changed));
  /** What a pass does: files → registry → scheduler, logged and told to listeners. */
  private readonly passes: ReconcilePasses;
  /** hub.yaml as last loaded: a pass reloads the settings when the file changed. */
  private hubBytes: Uint8Array;
  /** Where failed writes (a full disk) are noted, and writes that must not be lost are kept and retried. */
  readonly storage: StorageHealth;
  private readonly killGraceMs: number;
  /** Turns due slots into runs, or into recorded skips. */
  private readonly slots: SlotRunner;
  /** Hooks in, deliveries and alerts out (src/events/). */
  readonly events: HubEvents;

  constructor(o: HubOptions) {
    this.root = repoRoot(o.repo);
    this.log = o.log ?? silentLogger;
    this.now = o.now ?? (() => new Date());
    this.killGraceMs = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const hub = loadHubConfig(this.root);
    if (hub.diagnostics.length) throw new HubConfigError(hub.diagnostics);
    this.config = hub.config;
    this.hubBytes = hub.bytes;
    this.freshDb = !existsSync(dbPath(this.root));
    this.db = openDb(dbPath(this.root));
    this.storage = new StorageHealth({ dbFile: dbPath(this.root), log: this.log, ...(o.storageRetryMs !== undefined ? { retryMs: o.storageRetryMs } : {}) });
    this.gitState = new GitState(this.db, this.root, this.config, this.log, o.pushBackoffMs ? { backoffMs: o.pushBackoffMs } : {});
    this.inGit = insideWorkTree(this.root);
    this.executor = createExecution({
      db: this.db, root: this.root, hub: this.config, log: this.log, now: this.now, storage: this.storage, records: this.gitState, live: this.live, onDeliveriesQueued: () => this.events.dispatcher.nudge(),
      ...(o.env ? { env: o.env } : {}), ...(o.killGraceMs !== undefined ? { killGraceMs: o.killGraceMs } : {}),
    });
    // Committed transcripts are read from the state from then on: their local copies go.
    this.gitState.onCommitted(() => void pruneCommittedTranscripts(this.db, this.root, this.gitState.target)
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'local transcripts not pruned; will try after the next commit')));
    this.slots = new SlotRunner({ db: this.db, executor: this.executor, storage: this.storage, log: this.log, now: this.now });
    this.scheduler = new Scheduler((id, slot) => this.slots.fire(id, slot), this.now);
    const schedules = new ScheduleSync({ db: this.db, scheduler: this.scheduler, log: this.log, dropRetries: (id) => this.executor.dropRetries(id) });
    // A changed hub.yaml is taken first, whatever triggered the pass (a file event, SIGHUP, a pull).
    const beforePass = () => {
      if (!sameBytes(readHubBytes(this.root), this.hubBytes)) this.reloadConfig();
    };
    this.passes = new ReconcilePasses({ root: this.root, db: this.db, log: this.log, storage: this.storage, schedules, beforePass });
    this.events = new HubEvents({ db: this.db, executor: this.executor, log: this.log, now: this.now, env: o.env ?? process.env, root: this.root, config: () => this.config, health: () => this.health() });
    this.loops = new HubLoops({
      gitState: this.gitState, inGit: this.inGit, log: this.log,
      tasks: { resync: () => void this.reconcile('resync').catch(() => undefined), pull: () => void this.syncRemote() },
    });
  }

  /**
   * Restores the registry from the repository when there is no database yet, recovers
   * from a crash, applies the files, schedules, makes missed runs within their catch-up
   * window, and starts the loops (commit, pull, resync) unless `commitLoop` is false
   * (tests drive them by hand; `start --init-only` stops at once).
   */
  async start(opts: { commitLoop?: boolean } = {}): Promise<void> {
    if (this.inGit) await this.gitState.begin(); // the branch checked out now is the one state is committed on
    if (this.freshDb && this.inGit) {
      const snapshot = await readSnapshot(this.gitState.target);
      if (snapshot) {
        const { connectors, runs, skipped } = await restoreFromTarget(this.db, snapshot, this.gitState.target);
        this.log.info({ connectors, runs }, 'registry restored from the repository');
        for (const s of skipped) this.log.warn({ file: s.path, err: s.error }, 'run record skipped by restore; fix the file and run agent-hub restore to take it');
      }
    }
    // Agents a crash left running are stopped first; runs another agent-hub process still runs are its own.
    // With workers, runs a crash left queued or running may still run there, or have a result waiting in Redis: held again.
    const adopted = this.config.queue?.type === 'bullmq' ? adoptableRuns(this.db) : [];
    this.executor.adopt(adopted);
    if (adopted.length) this.log.info({ count: adopted.length }, 'runs queued on workers before the last stop are awaited again');
    const owned = await stopOrphans(this.db, this.log, this.killGraceMs);
    const interrupted = failInterrupted(this.db, this.now(), [...owned, ...adopted.map((a) => a.job.id)]);
    if (interrupted) this.log.warn({ count: interrupted }, 'runs left unfinished by the last stop were marked failed (interrupted)');
    const { written } = await this.gitState.repairRecords();
    if (written) this.log.info({ count: written }, 'run records written for runs that had none');
    await this.reconcile('start');
    const resumed = this.executor.resumeRetries();
    if (resumed) this.log.info({ count: resumed }, 'retries recorded before the last stop resume');
    this.slots.catchUp();
    if (opts.commitLoop !== false) {
      this.loops.start(this.config);
      this.events.start();
      if (this.inGit && this.gitState.remote) void this.syncRemote(); // at once: what was merged while the hub was down goes live now
    }
  }

  /** Pulls from the remote (and pushes); reconciles when connectors came in. */
  async syncRemote(): Promise<void> {
    try {
      const pulled = await this.gitState.sync();
      if (pulled?.updated) await this.reconcile('pull');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'sync with the remote failed; will retry');
    }
  }

  /**
   * Reconciles files → registry → scheduler through the one queue every trigger shares:
   * resolves with a pass that started after this call, so it saw the files as they are now.
   * `changed`: the paths a file event named, for a pass that may check just those.
   */
  reconcile(trigger = 'manual', changed?: readonly string[]): Promise<ReconcileResult> {
    return this.reconciles.request(trigger, changed);
  }

  /** Called after every reconcile pass, whatever triggered it (metrics). */
  onReconciled(listener: (pass: ReconcilePass) => void): void {
    this.passes.onReconciled(listener);
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
    this.hubBytes = next.bytes;
    if (next.diagnostics.length) {
      for (const d of next.diagnostics) this.log.error({ file: d.file, line: d.line, column: d.column }, `${d.message}${d.hint ? ` (${d.hint})` : ''}; the current settings stay`);
      return { applied: false, restartNeeded: [] };
    }
    const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    const restartNeeded = [
      ...(changed(next.config.server, this.config.server) ? ['server'] : []),
      ...(next.config.state?.branch !== this.config.state?.branch ? ['state.branch'] : []),
      ...(changed(next.config.queue, this.config.queue) ? ['queue'] : []),
    ];
    const gitChanged = changed(next.config.state, this.config.state) || changed(next.config.remote, this.config.remote);
    this.config = next.config;
    this.executor.configure(next.config);
    if (gitChanged && this.inGit) this.gitState.reconfigure(next.config);
    this.loops.arm(next.config);
    if (restartNeeded.length) this.log.warn({ settings: restartNeeded }, 'hub.yaml changed settings that take effect at the next start');
    return { applied: true, restartNeeded };
  }

  /** Runs a connector now (manual or API trigger). */
  run(connectorId: string, inputs: Record<string, unknown> = {}, trigger: 'manual' | 'api' = 'api', coerceInputs = false): SubmitResult {
    return this.executor.submit({ connectorId, trigger, inputs, coerceInputs });
  }

  /** Healthy, or degraded with the reasons: storage that cannot be written, git operations that keep failing. */
  health(): HubHealth {
    const problem = this.storage.problem;
    const reasons = problem ? [problem.reason] : [];
    if (this.inGit) for (const [op, f] of Object.entries(this.gitState.health().failing)) reasons.push(`git ${op} failing: ${f.error}`);
    const queue = this.executor.backend.health?.();
    if (queue) reasons.push(queue);
    return {
      status: reasons.length ? 'degraded' : 'ok', reasons,
      storage: problem ? { ...problem, unrecordedRuns: this.executor.unrecordedRuns } : null,
    };
  }

  /** A forced exit (a second Ctrl-C): the agents this process runs killed, their runs recorded as interrupted (see abandonOwnRuns). */
  abandon(): number {
    return abandonOwnRuns(this.db, this.now());
  }

  /** Stops scheduling, drains running runs (grace period, then cancel), closes the database. */
  async stop(graceMs = durationMs(this.config.shutdown?.gracePeriod ?? '30s')): Promise<void> {
    this.loops.drain();
    this.scheduler.stop();
    await this.executor.stop(graceMs);
    await this.events.stop();
    // A finished run still unrecorded here is marked interrupted at the next start: say which.
    for (const what of this.storage.stop()) this.log.error({ reason: this.storage.problem?.reason }, `not written before the stop (no room): ${what}`);
    this.loops.stop();
    if (this.inGit) await this.gitState.stop();
    // A pass in progress (a pull's) writes the registry: it ends before the database closes.
    await this.reconciles.close();
    this.db.close();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
