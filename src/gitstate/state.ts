import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { durationMs } from '../core/duration.js';
import type { Db } from '../registry/db.js';
import { getExecution, runSummaries, type Execution } from '../registry/executions.js';
import { finishedSinceLastCommit, markCommitted, noteCommitDeferral, pendingCount, queuedFiles, queueFile, recordBranch, recordedBranch, unqueue, type QueuedFile } from '../registry/git-outbox.js';
import type { HubConfig } from '../spec/hub-config.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { commitMessage, type CommittedRun } from './message.js';
import { runFilePath, runRecord } from './records.js';
import { snapshotFiles } from './snapshot.js';
import { SerialQueue } from './serial.js';
import { BranchTarget, WorktreeTarget, type StateTarget } from './targets.js';
import { DEFAULT_AUTHOR, type Author, type StagedFile } from './author.js';
import { RemoteSync, type PullResult } from './remote.js';
import { PushLoop } from './push-loop.js';
import { git } from './git.js';
import { HealthTracker, type GitHealth } from './health.js';
import { withoutOutputsOverLinks } from './output-links.js';

export const DEFAULT_COMMIT_INTERVAL = '5m';
export const DEFAULT_REMOTE_TIMEOUT = '2m';

export interface CommitOutcome {
  sha: string | null;
  runs: number;
  outputs: number;
  deferred?: string;
}


function authorOf(config: HubConfig): Author {
  const a = config.state?.author;
  return { name: a?.name ?? DEFAULT_AUTHOR.name, email: a?.email ?? DEFAULT_AUTHOR.email };
}

/** The target hub.yaml asks for: the checked-out branch, or `state.branch`. */
export function stateTarget(root: string, config: HubConfig): StateTarget {
  return config.state?.branch ? new BranchTarget(root, config.state.branch) : new WorktreeTarget(root);
}

/**
 * The repository as the hub's memory. Every finished run is written to disk at once and
 * queued in the database; commits (with a registry snapshot) happen in batches, through
 * one serialized git writer, and a failed commit leaves everything queued for the next.
 */
export class GitState {
  readonly target: StateTarget;
  private author: Author;
  private readonly writer = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;
  private interval: string | undefined;
  private readonly committedListeners: Array<(sha: string) => void> = [];
  private remoteSync: RemoteSync | undefined;
  /** Every author this process has committed as, so commits made before an author change still count as ours. */
  private readonly emails = new Set<string>();
  private readonly tracker = new HealthTracker();
  private readonly pushes: PushLoop;
  /** Why commits are put off now (a lock, a rebase, another branch checked out); logged once per cause. */
  private deferral: string | undefined;

  constructor(private readonly db: Db, private readonly root: string, private config: HubConfig, private readonly log: Logger = silentLogger, private readonly remoteOptions: { backoffMs?: number[] } = {}) {
    this.target = stateTarget(root, config);
    this.author = authorOf(config);
    this.emails.add(this.author.email);
    this.remoteSync = this.remoteFor(config);
    this.pushes = new PushLoop({
      remote: () => (this.config.remote?.push === false ? undefined : this.remote), remoteName: () => this.config.remote?.name ?? 'origin',
      writer: this.writer, tracker: this.tracker, log: this.log,
    });
  }

  /** Set when hub.yaml enables the remote: state commits are pushed, connectors pulled. */
  get remote(): RemoteSync | undefined {
    return this.remoteSync;
  }

  private remoteFor(config: HubConfig): RemoteSync | undefined {
    if (!config.remote?.enabled) return undefined;
    return new RemoteSync({
      root: this.root, remote: config.remote.name ?? 'origin', author: this.author, formerEmails: [...this.emails],
      timeoutMs: durationMs(config.remote.timeout ?? DEFAULT_REMOTE_TIMEOUT), ...this.remoteOptions,
      ...(this.target instanceof BranchTarget ? { stateBranch: this.target.branch } : {}),
      ...(this.target instanceof WorktreeTarget ? { trackedBranch: () => (this.target as WorktreeTarget).branch } : {}),
    });
  }

  /**
   * Takes a changed hub.yaml: the author, the commit interval and the remote settings apply
   * from the next git operation on. Where state is committed (`state.branch`) is fixed for
   * the life of the process.
   */
  reconfigure(config: HubConfig): void {
    const branchChanged = config.state?.onBranch !== this.config.state?.onBranch;
    this.config = config;
    if (branchChanged) void this.writer.run(() => this.followBranch()).catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'state.onBranch not applied'));
    this.author = authorOf(config);
    this.emails.add(this.author.email);
    this.remoteSync = this.remoteFor(config);
    if (this.interval !== undefined) this.start(config.state?.commitInterval ?? DEFAULT_COMMIT_INTERVAL);
  }

  /** Pending files, the last commit and push, and what keeps failing: for /healthz and /metrics. */
  health(): GitHealth {
    return this.tracker.report(pendingCount(this.db));
  }

  /**
   * Pulls (fast-forwarding connectors, replaying our commits when the remote moved) through
   * the single writer, then pushes. A divergence is logged and left for a person.
   */
  async sync(): Promise<PullResult | undefined> {
    const pulled = await this.writer.run(async () => {
      const remote = this.remote;
      if (!remote) return undefined;
      const result = await this.tracker.track('pull', () => remote.pull(), (p) => p.diverged);
      const name = this.config.remote?.name ?? 'origin';
      if (result.diverged) this.log.error({ remote: name }, result.diverged);
      if (result.deferred) this.log.debug({ remote: name, reason: result.deferred }, 'pull put off');
      if (result.updated) this.log.info({ remote: name, range: result.range, replayed: result.rebased }, 'pulled from the remote');
      return result;
    });
    if (pulled) {
      this.pushes.schedule();
      await this.pushes.idle();
    }
    return pulled;
  }

  /** Resolves once no push is running (shutdown, tests, `agent-hub snapshot`). */
  pushed(): Promise<void> {
    return this.pushes.idle();
  }

  /**
   * Writes a finished run's record file and queues it for the next commit. If it cannot be
   * written (a full disk), the error goes to the caller and the next commit writes it.
   */
  recordRun(e: Execution): void {
    const rel = runFilePath(e);
    const abs = path.join(this.target.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, runRecord(e));
    queueFile(this.db, { path: rel, kind: 'run', runId: e.id });
  }

  /**
   * Writes the record of every finished run that has none yet: runs marked interrupted at
   * start, or a run that finished as the process died. Looks only at runs finished since
   * the last commit, and skips those whose record is on disk or already committed. Says how
   * many it wrote and how many it could not write (a full disk).
   */
  async repairRecords(): Promise<{ written: number; failed: number }> {
    const ids = finishedSinceLastCommit(this.db);
    if (!ids.length) return { written: 0, failed: 0 };
    const runs = ids.map((id) => getExecution(this.db, id) as Execution);
    const have = await this.target.existing(runs.map((e) => runFilePath(e)));
    const missing = runs.filter((e) => !have.has(runFilePath(e)));
    let written = 0;
    for (const e of missing) {
      try {
        this.recordRun(e);
        written++;
      } catch (err) {
        this.log.error({ run: e.id, err: (err as Error).message }, 'run record not written; will try again at the next commit');
      }
    }
    return { written, failed: missing.length - written };
  }

  /** Queues a saveTo output (already written in the work tree) for the next commit. */
  recordOutput(rel: string): void {
    queueFile(this.db, { path: rel, kind: 'output', runId: null });
  }

  /**
   * Commits what is queued plus a fresh snapshot, if anything changed. Serialized with
   * every other git operation. Without `snapshotAlone`, a snapshot is committed only along
   * with runs or outputs: applying connectors alone never makes a commit (a fresh clone
   * started and stopped leaves the repository as it was).
   */
  commit(opts: { snapshotAlone?: boolean } = {}): Promise<CommitOutcome> {
    return this.writer.run(async () => {
      // Records that could not be written when their run finished (a full disk) are written now; while
      // one still cannot be, the last-commit stamp stays where it is, so the next pass finds it again.
      const { failed } = await this.repairRecords();
      if (!pendingCount(this.db) && !opts.snapshotAlone) return { sha: null, runs: 0, outputs: 0 };
      return this.tracker.track('commit', () => this.commitNow({ keepStamp: failed > 0 }), (o) => (o.deferred ? `put off: ${o.deferred}` : undefined));
    });
  }

  /** Called after each commit that made one. */
  onCommitted(listener: (sha: string) => void): void {
    this.committedListeners.push(listener);
  }

  /** Runs any git operation through the single writer (pull, push). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.writer.run(task);
  }

  /**
   * Fixes the branch state is committed on: the one checked out now (the hub's start).
   * While a person has another branch checked out, commits pause.
   */
  async begin(): Promise<void> {
    noteCommitDeferral(this.db, null); // a note left by the last process
    await this.followBranch();
  }

  /**
   * The branch is state.onBranch, else the one recorded at an earlier start (so a restart
   * while a person has a feature branch checked out does not move state onto it), else the
   * one checked out now; it is recorded for the next start.
   */
  async followBranch(): Promise<void> {
    if (!(this.target instanceof WorktreeTarget)) return;
    const recorded = recordedBranch(this.db);
    const branch = await this.target.track(this.config.state?.onBranch ?? recorded ?? undefined);
    if (branch && branch !== recorded) recordBranch(this.db, branch);
  }

  /** Commits every `interval` (state.commitInterval); errors are logged and retried next time. */
  start(interval: string): void {
    clearInterval(this.timer);
    this.interval = interval;
    const ms = durationMs(interval);
    this.timer = setInterval(() => {
      this.commit().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'state commit failed; will retry at the next interval'));
    }, ms);
  }

  /** Stops the loop and makes a last commit. */
  async stop(): Promise<CommitOutcome | undefined> {
    clearInterval(this.timer);
    this.interval = undefined;
    this.pushes.stop();
    try {
      return await this.commit();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'final state commit failed; the run records stay on disk and are committed at the next start');
      return undefined;
    } finally {
      await this.pushed();
    }
  }

  /**
   * What `git commit` does after committing: `git maintenance run --auto`, so the repository
   * is packed once loose objects pass `gc.auto` (plumbing never triggers it, and a hub may be
   * the only writer for months). Respects `maintenance.auto: false`; a failure is only logged.
   */
  private async housekeep(): Promise<void> {
    try {
      const auto = await git(this.root, ['config', '--type=bool', '--get', 'maintenance.auto'], { ok: [1] });
      if (auto.stdout.trim() === 'false') return;
      await git(this.root, ['maintenance', 'run', '--auto', '--quiet']);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'git maintenance failed; the repository stays as it is');
    }
  }

  /**
   * The queue, checked against the disk: a run record someone removed before it was
   * committed (`git stash -u`, `git clean`) is written again from the registry; a removed
   * saveTo output is dropped from the queue with a warning.
   */
  private pendingFiles(): Array<QueuedFile & { source: string }> {
    const out: Array<QueuedFile & { source: string }> = [];
    for (const p of queuedFiles(this.db)) {
      const source = path.join(p.kind === 'output' ? this.root : this.target.dir, p.path);
      if (!existsSync(source)) {
        const e = p.kind === 'run' && p.runId ? getExecution(this.db, p.runId) : undefined;
        if (!e) {
          this.log.warn({ file: p.path }, 'a file queued for the next state commit is gone; not committed');
          unqueue(this.db, p.path);
          continue;
        }
        mkdirSync(path.dirname(source), { recursive: true });
        writeFileSync(source, runRecord(e));
        this.log.warn({ file: p.path }, 'a run record was removed before it was committed; written again from the registry');
      }
      out.push({ ...p, source });
    }
    return out;
  }

  private async commitNow(o: { keepStamp: boolean }): Promise<CommitOutcome> {
    const pending = await withoutOutputsOverLinks(this.root, await this.target.stateRef(), this.pendingFiles(), (p) => unqueue(this.db, p), this.log);
    const files: StagedFile[] = pending.map((p) => ({ path: p.path, source: p.source }));
    const snapshot: string[] = [];
    for (const [rel, content] of snapshotFiles(this.db)) {
      const abs = path.join(this.target.dir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      files.push({ path: rel, source: abs });
      snapshot.push(abs);
    }
    const runIds = new Map(pending.filter((p) => p.kind === 'run' && p.runId).map((p) => [p.path, p.runId as string]));
    let runs: CommittedRun[] = [];
    let outputs = 0;
    // Only what this commit changes is listed: a retry finds runs it already committed.
    const message = (changed: ReadonlySet<string>): string => {
      const ids = [...runIds].filter(([p]) => changed.has(p)).map(([, id]) => id);
      runs = runSummaries(this.db, ids);
      outputs = pending.filter((p) => p.kind === 'output' && changed.has(p.path)).length;
      return commitMessage(runs, outputs);
    };
    const result = await this.target.commit(files, message, this.author);
    if (result.deferred) {
      this.noteDeferral(result.deferred, result.paused === true);
      return { sha: null, runs: 0, outputs: 0, deferred: result.deferred };
    }
    this.noteDeferral(undefined, false);
    // A minute of slack for clocks and slow writers.
    markCommitted(this.db, pending.map((p) => p.path), o.keepStamp ? null : new Date(Date.now() - 60_000));
    if (this.target.dropsCommitted) {
      for (const p of pending) if (p.kind === 'run') rmSync(path.join(this.target.dir, p.path), { force: true });
      for (const f of snapshot) rmSync(f, { force: true });
    }
    if (result.sha) {
      this.tracker.lastCommitAt = new Date().toISOString();
      this.log.info({ sha: result.sha, runs: runs.length, outputs }, 'state committed');
      await this.housekeep();
      for (const listener of this.committedListeners) listener(result.sha);
      this.pushes.schedule();
    }
    return { sha: result.sha, runs: result.sha ? runs.length : 0, outputs: result.sha ? outputs : 0 };
  }

  /**
   * Logs a deferral once per cause (a commit every few hundred ms must not flood the log) and
   * keeps it in the registry, where `agent-hub status` reads it; logs when commits resume.
   */
  private noteDeferral(reason: string | undefined, paused: boolean): void {
    if (reason === this.deferral) return;
    if (reason) this.log.warn({ reason }, paused ? 'state commits paused' : 'state commit put off; will try again');
    else if (this.deferral) this.log.info({}, 'state commits resumed');
    this.deferral = reason;
    try {
      noteCommitDeferral(this.db, reason ? { reason, paused, since: new Date().toISOString() } : null);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not note the deferral in the registry');
    }
  }
}
