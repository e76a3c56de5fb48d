import type { Db } from '../registry/db.js';
import type { Execution } from '../registry/executions.js';
import { noteCommitDeferral, pendingCount, recordBranch, recordedBranch } from '../registry/git-outbox.js';
import type { HubConfig } from '../spec/hub-config.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { DEFAULT_AUTHOR, type Author } from './author.js';
import { Committer, type CommitOutcome } from './committer.js';
import { HealthTracker, type GitHealth } from './health.js';
import { Outbox } from './outbox.js';
import type { PullResult, RemoteSync } from './remote.js';
import { SerialQueue } from './serial.js';
import { StateSync } from './sync.js';
import { BranchTarget, WorktreeTarget, type StateTarget } from './targets.js';

export type { CommitOutcome } from './committer.js';

export const DEFAULT_COMMIT_INTERVAL = '5m';

/** Who the hub's commits are by: state.author, else agent-hub <agent-hub@localhost>. */
export function authorOf(config: HubConfig): Author {
  const a = config.state?.author;
  return { name: a?.name ?? DEFAULT_AUTHOR.name, email: a?.email ?? DEFAULT_AUTHOR.email };
}

/** The target hub.yaml asks for: the checked-out branch, or `state.branch`. */
export function stateTarget(root: string, config: HubConfig): StateTarget {
  return config.state?.branch ? new BranchTarget(root, config.state.branch) : new WorktreeTarget(root);
}

/**
 * The repository as the hub's memory. Every finished run is written to disk at once and
 * queued (the Outbox); commits (with a registry snapshot) happen in batches (the
 * Committer), through one serialized git writer, and a failed commit leaves everything
 * queued for the next; with a remote, state is pushed and connectors pulled (StateSync).
 * This class wires them and takes hub.yaml changes. When it commits is the caller's: the
 * hub's loops, or `agent-hub snapshot`.
 */
export class GitState {
  readonly target: StateTarget;
  private readonly writer = new SerialQueue();
  private readonly tracker = new HealthTracker();
  private readonly outbox: Outbox;
  private readonly committer: Committer;
  private readonly remoteState: StateSync;
  /** Every author this process has committed as, so commits made before an author change still count as ours. */
  private readonly emails = new Set<string>();

  constructor(private readonly db: Db, root: string, private config: HubConfig, private readonly log: Logger = silentLogger, remoteOptions: { backoffMs?: number[] } = {}) {
    this.target = stateTarget(root, config);
    this.outbox = new Outbox(db, root, this.target, log);
    this.committer = new Committer({ db, root, target: this.target, outbox: this.outbox, tracker: this.tracker, log }, authorOf(config));
    this.remoteState = new StateSync({ root, target: this.target, writer: this.writer, tracker: this.tracker, log, ...remoteOptions });
    this.committer.onCommitted(() => this.remoteState.push());
    this.applyConfig(config);
  }

  /** Set when hub.yaml enables the remote: state commits are pushed, connectors pulled. */
  get remote(): RemoteSync | undefined {
    return this.remoteState.remote;
  }

  /**
   * Takes a changed hub.yaml: the author and the remote settings apply from the next git
   * operation on. Where state is committed (`state.branch`) is fixed for the life of the process.
   */
  reconfigure(config: HubConfig): void {
    const branchChanged = config.state?.onBranch !== this.config.state?.onBranch;
    this.config = config;
    if (branchChanged) void this.writer.run(() => this.followBranch()).catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'state.onBranch not applied'));
    this.applyConfig(config);
  }

  private applyConfig(config: HubConfig): void {
    const author = authorOf(config);
    this.emails.add(author.email);
    this.committer.author = author;
    this.remoteState.configure(config, author, [...this.emails]);
  }

  /** Pending files, the last commit and push, and what keeps failing: for /healthz and /metrics. */
  health(): GitHealth {
    return this.tracker.report(pendingCount(this.db));
  }

  /** Pulls through the single writer, then pushes; see StateSync.sync. */
  sync(): Promise<PullResult | undefined> {
    return this.remoteState.sync();
  }

  /** Resolves once no push is running (shutdown, tests, `agent-hub snapshot`). */
  pushed(): Promise<void> {
    return this.remoteState.pushed();
  }

  /** Copies a finished run's transcript next to its record and queues it; see Outbox.recordTranscript. */
  recordTranscript(e: Execution): void {
    this.outbox.recordTranscript(e);
  }

  /** Writes a finished run's record file and queues it for the next commit; see Outbox.recordRun. */
  recordRun(e: Execution): void {
    this.outbox.recordRun(e);
  }

  /** recordRun off the event loop; see Outbox.recordRunAsync. */
  recordRunAsync(e: Execution): Promise<void> {
    return this.outbox.recordRunAsync(e);
  }

  /** recordTranscript off the event loop. */
  recordTranscriptAsync(e: Execution): Promise<void> {
    return this.outbox.recordTranscriptAsync(e);
  }

  /** Writes the records finished runs lack (after a crash or a full disk); see Outbox.repair. */
  repairRecords(): Promise<{ written: number; failed: number }> {
    return this.outbox.repair();
  }

  /** Queues a saveTo output (already written in the work tree) for the next commit. */
  recordOutput(rel: string): void {
    this.outbox.recordOutput(rel);
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
      await this.outbox.idle();
      const { failed } = await this.outbox.repair();
      if (!pendingCount(this.db) && !opts.snapshotAlone) return { sha: null, runs: 0, outputs: 0 };
      return this.tracker.track('commit', () => this.committer.commit({ keepStamp: failed > 0 }), (o) => (o.deferred ? `put off: ${o.deferred}` : undefined));
    });
  }

  /** Called after each commit that made one. */
  onCommitted(listener: (sha: string) => void): void {
    this.committer.onCommitted(listener);
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

  /** Makes a last commit and waits for its push; a push waiting to try again gives up. */
  async stop(): Promise<CommitOutcome | undefined> {
    this.remoteState.stop();
    try {
      return await this.commit();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'final state commit failed; the run records stay on disk and are committed at the next start');
      return undefined;
    } finally {
      await this.pushed();
    }
  }
}
