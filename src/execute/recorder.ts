import type { Db } from '../registry/db.js';
import { finishExecution, getExecution, markRunning, type Execution, type Finish } from '../registry/executions.js';
import type { StorageHealth } from '../registry/storage.js';
import type { Logger } from '../log/logger.js';
import type { Job, JobStart } from './backend.js';
import type { Tracked } from './retries.js';
import type { Waiters } from './waiters.js';

/** A job this hub handed to its backend and has not recorded as finished yet. */
export interface Entry extends Tracked {
  /** What "run started" would have recorded, had the write not failed: written with the finish. */
  unwrittenStart?: JobStart;
}

export interface RecorderOptions {
  db: Db;
  storage: StorageHealth;
  log: Logger;
  waiters: Waiters;
  /** Called inside the transaction that records a finished run (its deliveries are queued with it). */
  inRecord?: ((job: Job, f: Finish) => void) | undefined;
  /**
   * What must be on disk too before a finished run counts as recorded (its record file for
   * git), written off the event loop: waiters are answered once it settles.
   */
  afterRecord?: ((e: Execution) => Promise<void>) | undefined;
  /** Records and schedules the next attempt when the policy allows one; true when it did. */
  retry: (entry: Entry, f: Finish) => boolean;
}

/**
 * The end of a run: its outcome written in one transaction (with its start, if that write
 * failed), or on a full disk kept in memory and written once there is room; then the
 * listeners, the record files and whoever waits for it.
 */
export class Recorder {
  /** Runs that finished but whose record waits for room on the disk, by id. */
  readonly unrecorded = new Map<string, Entry>();
  private readonly listeners: Array<(e: Execution) => void> = [];
  /** afterRecord writes under way, by run id. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(private readonly o: RecorderOptions) {}

  /** Called with every finished execution (success or failure), once it is recorded. */
  onFinished(listener: (e: Execution) => void): void {
    this.listeners.push(listener);
  }

  /** A listener that fails is logged; the queue goes on. */
  private notify(execution: Execution): void {
    for (const listener of this.listeners) {
      try {
        listener(execution);
      } catch (err) {
        this.stepFailed(execution, err);
      }
    }
  }

  /** A run is over: its record is written now or, when the disk is full, kept in memory and written (once) when there is room. */
  finish(entry: Entry, f: Finish): void {
    const { id } = entry.job;
    this.unrecorded.set(id, entry);
    if (!this.o.storage.keep(`record the finished run ${id}`, () => this.record(entry, f))) {
      this.o.log.warn({ run: id, connector: entry.job.connectorId, status: f.status, reason: this.o.storage.problem?.reason }, 'run finished; its record is kept in memory until it can be written');
    }
  }

  /** True while a run is recorded but its afterRecord write is under way: its waiters are not answered yet. */
  writingFiles(id: string): boolean {
    return this.writing.has(id);
  }

  /** Resolves once no afterRecord write is under way. */
  async settled(): Promise<void> {
    while (this.writing.size) await Promise.allSettled(this.writing.values());
  }

  /** Writes a finished run (and, if that failed before, its start) in one transaction, then tells everyone. */
  private record(entry: Entry, f: Finish): void {
    const { db } = this.o;
    const { job, unwrittenStart: start } = entry;
    db.transaction(() => {
      if (start) markRunning(db, job.id, start);
      finishExecution(db, job.id, f);
      this.o.inRecord?.(job, f);
    })();
    this.unrecorded.delete(job.id);
    const execution = getExecution(db, job.id) as Execution;
    const level = f.status === 'success' ? 'info' : 'warn';
    this.o.log[level]({ run: job.id, connector: job.connectorId, status: f.status, errorKind: f.errorKind ?? undefined, costUsd: f.costUsd ?? undefined, savedTo: f.savedTo ?? undefined }, `run ${f.status}`);
    this.announce(execution, this.o.retry(entry, f) ? undefined : entry.rootId);
  }

  /**
   * A recorded end (a finished attempt, or a waiting retry cancelled): the listeners are
   * told, its files written, then its waiters answered, with those of its run (`rootId`)
   * when no further attempt is coming.
   */
  announce(execution: Execution, rootId: string | undefined): void {
    this.notify(execution);
    const answer = () => {
      if (rootId !== undefined) this.o.waiters.chainOver(rootId, execution);
      this.o.waiters.attemptOver(execution);
    };
    const files = this.o.afterRecord?.(execution);
    if (!files) return answer();
    this.writing.set(execution.id, files.catch((err: unknown) => this.stepFailed(execution, err)).finally(() => {
      this.writing.delete(execution.id);
      answer();
    }));
  }

  private stepFailed(e: Execution, err: unknown): void {
    this.o.log.error({ run: e.id, err: (err as Error).message }, 'a step after the run failed; the run itself is recorded in the registry');
  }
}
