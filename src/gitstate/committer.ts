import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../registry/db.js';
import { runSummaries } from '../registry/executions.js';
import { markCommitted, noteCommitDeferral } from '../registry/git-outbox.js';
import type { Logger } from '../log/logger.js';
import type { Author, StagedFile } from './author.js';
import { git } from './git.js';
import type { HealthTracker } from './health.js';
import { commitMessage, type CommittedRun } from './message.js';
import { withoutOutputsOverLinks } from './output-links.js';
import type { Outbox } from './outbox.js';
import { TRANSCRIPT_SUFFIX } from '../execute/transcript-files.js';
import { snapshotFiles } from './snapshot.js';
import type { StateTarget } from './targets.js';

export interface CommitOutcome {
  sha: string | null;
  runs: number;
  outputs: number;
  deferred?: string;
}

export interface CommitterOptions {
  db: Db;
  root: string;
  target: StateTarget;
  outbox: Outbox;
  tracker: HealthTracker;
  log: Logger;
}

/**
 * One state commit: what the outbox holds plus a fresh registry snapshot, with a message
 * listing the runs it adds; then the queue is cleared, the repository housekept and the
 * listeners told. A commit put off (a lock, a rebase) is noted once per cause. Run it
 * through the single git writer.
 */
export class Committer {
  /** Who commits: hub.yaml's state.author, changed live. */
  author: Author;
  private readonly listeners: Array<(sha: string) => void> = [];
  /** Why commits are put off now (a lock, a rebase, another branch checked out); logged once per cause. */
  private deferral: string | undefined;

  constructor(private readonly o: CommitterOptions, author: Author) {
    this.author = author;
  }

  /** Called after each commit that made one. */
  onCommitted(listener: (sha: string) => void): void {
    this.listeners.push(listener);
  }

  /** Commits now. `keepStamp`: a record could not be written, so the last-commit time stays where it is. */
  async commit(opts: { keepStamp: boolean }): Promise<CommitOutcome> {
    const { db, root, target, outbox, log } = this.o;
    const pending = await withoutOutputsOverLinks(root, await target.stateRef(), outbox.files(), (p) => outbox.drop(p), log);
    const files: StagedFile[] = pending.map((p) => ({ path: p.path, source: p.source }));
    const snapshot: string[] = [];
    for (const [rel, content] of snapshotFiles(db)) {
      const abs = path.join(target.dir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      files.push({ path: rel, source: abs });
      snapshot.push(abs);
    }
    // A run is listed (its trailer) by its record alone: a transcript committed later, once there was room, lists it no second time.
    const runIds = new Map(pending.filter((p) => p.kind === 'run' && p.runId && !p.path.endsWith(TRANSCRIPT_SUFFIX)).map((p) => [p.path, p.runId as string]));
    let runs: CommittedRun[] = [];
    let outputs = 0;
    // Only what this commit changes is listed: a retry finds runs it already committed.
    const message = (changed: ReadonlySet<string>): string => {
      runs = runSummaries(db, [...runIds].filter(([p]) => changed.has(p)).map(([, id]) => id));
      outputs = pending.filter((p) => p.kind === 'output' && changed.has(p.path)).length;
      return commitMessage(runs, outputs);
    };
    const result = await target.commit(files, message, this.author);
    if (result.deferred) {
      this.noteDeferral(result.deferred, result.paused === true);
      return { sha: null, runs: 0, outputs: 0, deferred: result.deferred };
    }
    this.noteDeferral(undefined, false);
    // A minute of slack for clocks and slow writers.
    markCommitted(db, pending.map((p) => p.path), opts.keepStamp ? null : new Date(Date.now() - 60_000));
    if (target.dropsCommitted) {
      for (const p of pending) if (p.kind === 'run') rmSync(path.join(target.dir, p.path), { force: true });
      for (const f of snapshot) rmSync(f, { force: true });
    }
    if (result.sha) {
      this.o.tracker.lastCommitAt = new Date().toISOString();
      log.info({ sha: result.sha, runs: runs.length, outputs }, 'state committed');
      await this.housekeep();
      for (const listener of this.listeners) listener(result.sha);
    }
    return { sha: result.sha, runs: result.sha ? runs.length : 0, outputs: result.sha ? outputs : 0 };
  }

  /**
   * What `git commit` does after committing: `git maintenance run --auto`, so the repository
   * is packed once loose objects pass `gc.auto` (plumbing never triggers it, and a hub may be
   * the only writer for months). Respects `maintenance.auto: false`; a failure is only logged.
   */
  private async housekeep(): Promise<void> {
    try {
      const auto = await git(this.o.root, ['config', '--type=bool', '--get', 'maintenance.auto'], { ok: [1] });
      if (auto.stdout.trim() === 'false') return;
      await git(this.o.root, ['maintenance', 'run', '--auto', '--quiet']);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'git maintenance failed; the repository stays as it is');
    }
  }

  /**
   * Logs a deferral once per cause (a commit every few hundred ms must not flood the log) and
   * keeps it in the registry, where `agent-hub status` reads it; logs when commits resume.
   */
  private noteDeferral(reason: string | undefined, paused: boolean): void {
    if (reason === this.deferral) return;
    if (reason) this.o.log.warn({ reason }, paused ? 'state commits paused' : 'state commit put off; will try again');
    else if (this.deferral) this.o.log.info({}, 'state commits resumed');
    this.deferral = reason;
    try {
      noteCommitDeferral(this.o.db, reason ? { reason, paused, since: new Date().toISOString() } : null);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not note the deferral in the registry');
    }
  }
}
