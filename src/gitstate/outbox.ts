import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeWithoutLinks, writeWithoutLinksAsync } from '../execute/safe-write.js';
import path from 'node:path';
import type { Db } from '../registry/db.js';
import { getExecution, type Execution } from '../registry/executions.js';
import { finishedSinceLastCommit, queuedFiles, queueFile, unqueue, type QueuedFile } from '../registry/git-outbox.js';
import type { Logger } from '../log/logger.js';
import { runFilePath, runRecord, transcriptFilePath } from './records.js';
import { localTranscriptPath } from '../execute/transcript-files.js';
import type { StateTarget } from './targets.js';

/** A queued file and where its bytes are now. */
export type OutboxFile = QueuedFile & { source: string };

/**
 * The files waiting for the next state commit, on disk and in the registry's queue: a
 * finished run's record is written and queued at once; what a crash, a full disk or a
 * person (`git stash -u`, `git clean`) took away is written again from the registry.
 */
export class Outbox {
  /** Files being written off the event loop (recordRunAsync…), by run id: not queued yet, and not repair()'s to write. */
  private readonly writing = new Map<string, Set<Promise<void>>>();

  constructor(private readonly db: Db, private readonly root: string, private readonly target: StateTarget, private readonly log: Logger) {}

  /**
   * Writes a finished run's record file and queues it for the next commit. If it cannot be
   * written (a full disk), the error goes to the caller and the next commit writes it.
   */
  recordRun(e: Execution): void {
    const rel = runFilePath(e);
    this.write(rel, e);
    queueFile(this.db, { path: rel, kind: 'run', runId: e.id });
  }

  /** recordRun with the write and its flush to disk on the thread pool: resolves once the file is on disk and queued. */
  recordRunAsync(e: Execution): Promise<void> {
    return this.track(e.id, async () => {
      const rel = runFilePath(e);
      mkdirSync(this.target.dir, { recursive: true });
      await writeWithoutLinksAsync(this.target.dir, rel, runRecord(e));
      queueFile(this.db, { path: rel, kind: 'run', runId: e.id });
    });
  }

  /** recordTranscript, likewise off the event loop. */
  recordTranscriptAsync(e: Execution): Promise<void> {
    return this.track(e.id, async () => {
      if (!e.transcript || !existsSync(localTranscriptPath(this.root, e.id))) return;
      const rel = transcriptFilePath(e);
      mkdirSync(this.target.dir, { recursive: true });
      await writeWithoutLinksAsync(this.target.dir, rel, await readFile(localTranscriptPath(this.root, e.id)));
      queueFile(this.db, { path: rel, kind: 'run', runId: e.id });
    });
  }

  /** Resolves once no record is being written off the event loop (before a commit looks at the queue). */
  async idle(): Promise<void> {
    while (this.writing.size) await Promise.allSettled([...this.writing.values()].flatMap((set) => [...set]));
  }

  private track(id: string, work: () => Promise<void>): Promise<void> {
    const set = this.writing.get(id) ?? new Set<Promise<void>>();
    const done: Promise<void> = work().finally(() => {
      set.delete(done);
      if (!set.size) this.writing.delete(id);
    });
    set.add(done);
    this.writing.set(id, set);
    return done;
  }

  /**
   * Copies a finished run's transcript (written to .agent-hub/transcripts as it happened)
   * next to its record and queues it. Nothing when the run lists none or the file is gone.
   */
  recordTranscript(e: Execution): void {
    if (!e.transcript || !existsSync(localTranscriptPath(this.root, e.id))) return;
    const rel = transcriptFilePath(e);
    this.copyTranscript(rel, e.id);
    queueFile(this.db, { path: rel, kind: 'run', runId: e.id });
  }

  /** Queues a saveTo output (already written in the work tree) for the next commit. */
  recordOutput(rel: string): void {
    queueFile(this.db, { path: rel, kind: 'output', runId: null });
  }

  /**
   * Writes the record of every finished run that has none yet: runs marked interrupted at
   * start, or a run that finished as the process died. Looks only at runs finished since
   * the last commit, and skips those whose record is on disk or already committed. Says how
   * many it wrote and how many it could not write (a full disk).
   */
  async repair(): Promise<{ written: number; failed: number }> {
    // A record being written now is queued when it is on disk.
    const ids = finishedSinceLastCommit(this.db).filter((id) => !this.writing.has(id));
    if (!ids.length) return { written: 0, failed: 0 };
    const runs = ids.map((id) => getExecution(this.db, id) as Execution);
    const have = await this.target.existing(runs.map((e) => runFilePath(e)));
    const missing = runs.filter((e) => !have.has(runFilePath(e)));
    let written = 0;
    for (const e of missing) {
      try {
        this.recordRun(e);
        this.recordTranscript(e);
        written++;
      } catch (err) {
        this.log.error({ run: e.id, err: (err as Error).message }, 'run record not written; will try again at the next commit');
      }
    }
    return { written, failed: missing.length - written };
  }

  /**
   * The queue, checked against the disk: a run record someone removed before it was
   * committed is written again from the registry; a removed saveTo output is dropped from
   * the queue with a warning.
   */
  files(): OutboxFile[] {
    const out: OutboxFile[] = [];
    for (const p of queuedFiles(this.db)) {
      const source = path.join(p.kind === 'output' ? this.root : this.target.dir, p.path);
      if (!existsSync(source)) {
        const e = p.kind === 'run' && p.runId ? getExecution(this.db, p.runId) : undefined;
        if (e && p.path === transcriptFilePath(e) && existsSync(localTranscriptPath(this.root, e.id))) {
          this.copyTranscript(p.path, e.id);
          out.push({ ...p, source });
          continue;
        }
        if (!e || p.path !== runFilePath(e)) {
          this.log.warn({ file: p.path }, 'a file queued for the next state commit is gone; not committed');
          unqueue(this.db, p.path);
          continue;
        }
        this.write(p.path, e);
        this.log.warn({ file: p.path }, 'a run record was removed before it was committed; written again from the registry');
      }
      out.push({ ...p, source });
    }
    return out;
  }

  /** Takes a file off the queue without committing it. */
  drop(rel: string): void {
    unqueue(this.db, rel);
  }

  /** Through no symlink, all or nothing, like a record. */
  private copyTranscript(rel: string, runId: string): void {
    mkdirSync(this.target.dir, { recursive: true });
    writeWithoutLinks(this.target.dir, rel, readFileSync(localTranscriptPath(this.root, runId)));
  }

  /** All or nothing, and through no symlink: a full disk leaves no empty or cut record that a later pass would take for written. */
  private write(rel: string, e: Execution): void {
    mkdirSync(this.target.dir, { recursive: true });
    writeWithoutLinks(this.target.dir, rel, runRecord(e));
  }
}
