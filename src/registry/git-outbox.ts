import { deleteSetting, getSetting, setSetting } from './config.js';
import { stmt, type Db } from './db.js';

/**
 * The git outbox: files written for git (run records, saveTo outputs) and not committed
 * yet (table `git_pending`), and what the committer notes between starts (`git.*` keys):
 * when it last committed, on which branch, and why commits are put off now.
 */

/** A file queued for the next state commit. */
export interface QueuedFile {
  /** Relative to the hub root. */
  path: string;
  kind: 'run' | 'output';
  /** The run a record belongs to; null for an output. */
  runId: string | null;
}

/** Why state commits are put off, as the running hub noted it. */
export interface CommitDeferral {
  reason: string;
  paused: boolean;
  since: string;
}

const LAST_COMMIT = 'git.lastCommitAt';
const BRANCH = 'git.branch';
const DEFERRED = 'git.deferred';

/** Run records and outputs written and queued, not committed yet. */
export function pendingCount(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM git_pending').get() as { n: number }).n;
}

/** Queues a file for the next commit; queuing it again only refreshes it. */
export function queueFile(db: Db, f: QueuedFile, at = new Date()): void {
  stmt(db, 'INSERT OR REPLACE INTO git_pending (path, kind, run_id, added_at) VALUES (?, ?, ?, ?)').run(f.path, f.kind, f.runId, at.toISOString());
}

/** What waits for the next commit, by path. */
export function queuedFiles(db: Db): QueuedFile[] {
  const rows = stmt(db, 'SELECT path, kind, run_id FROM git_pending ORDER BY path').all() as Array<{ path: string; kind: QueuedFile['kind']; run_id: string | null }>;
  return rows.map((r) => ({ path: r.path, kind: r.kind, runId: r.run_id }));
}

/** Takes a file off the queue without committing it (it is gone, or must not be committed). */
export function unqueue(db: Db, path: string): void {
  stmt(db, 'DELETE FROM git_pending WHERE path = ?').run(path);
}

/**
 * After a commit: the committed files leave the queue and, when `stamp` is given, it
 * becomes the last-commit time; both or neither.
 */
export function markCommitted(db: Db, paths: readonly string[], stamp: Date | null): void {
  db.transaction(() => {
    for (const p of paths) unqueue(db, p);
    if (stamp) setSetting(db, LAST_COMMIT, stamp.toISOString());
  })();
}

/**
 * After a restore from git: what was read is committed (stamped now), and the run files a
 * crash left uncommitted are queued. Inside the caller's transaction.
 */
export function markRestored(db: Db, uncommittedRuns: ReadonlyArray<{ path: string; runId: string }>, now = new Date()): void {
  setSetting(db, LAST_COMMIT, now.toISOString());
  for (const r of uncommittedRuns) queueFile(db, { path: r.path, kind: 'run', runId: r.runId }, now);
}

/**
 * Finished runs that may lack a record: finished since the last commit (with its slack)
 * and not queued. Ids only; the caller checks the disk and the committed state.
 */
export function finishedSinceLastCommit(db: Db): string[] {
  const since = getSetting(db, LAST_COMMIT) ?? '';
  // created_at bounds the search through the (status, created_at) index: a run finished since the
  // last commit was created at most a day before it (runs time out long before that).
  const createdSince = since ? new Date(Date.parse(since) - 86_400_000).toISOString() : '';
  const rows = stmt(db, `SELECT id FROM executions WHERE status IN ('success', 'failed') AND created_at >= ? AND COALESCE(finished_at, created_at) >= ?
      AND id NOT IN (SELECT run_id FROM git_pending WHERE run_id IS NOT NULL)`).all(createdSince, since) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** The branch an earlier start committed state on (null: none recorded). */
export function recordedBranch(db: Db): string | null {
  return getSetting(db, BRANCH);
}

export function recordBranch(db: Db, branch: string): void {
  setSetting(db, BRANCH, branch);
}

/** Why state commits are put off now, as the running hub noted it (null: they are not). */
export function commitDeferral(db: Db): CommitDeferral | null {
  const value = getSetting(db, DEFERRED);
  return value ? (JSON.parse(value) as CommitDeferral) : null;
}

/** Notes (or, with null, clears) why commits are put off, where `agent-hub status` reads it. */
export function noteCommitDeferral(db: Db, deferral: CommitDeferral | null): void {
  if (deferral) setSetting(db, DEFERRED, JSON.stringify(deferral));
  else deleteSetting(db, DEFERRED);
}
