import type { Db } from '../registry/db.js';
import { getConnector } from '../registry/connectors.js';
import { finishExecution, getExecution, insertExecution, newRunId, waitingRetries, type Execution, type Finish } from '../registry/executions.js';
import { runEvent, setDeliveryId } from '../registry/events.js';
import type { StorageHealth } from '../registry/storage.js';
import type { Logger } from '../log/logger.js';
import type { Job } from './backend.js';
import { decideRetry } from './policy.js';
import { RetryTimers } from './retry-timers.js';
import { pausedMessage } from '../registry/pauses.js';

/** A job with what the hub keeps beside it: the version it was recorded for and the run it belongs to. */
export interface Tracked {
  job: Job;
  specHash: string;
  /** The first attempt's id: the run a retry belongs to. */
  rootId: string;
}

export interface RetriesOptions {
  db: Db;
  storage: StorageHealth;
  log: Logger;
  now: () => Date;
  /** Inputs as they may be recorded (secret values redacted). */
  redact: (job: Job) => Record<string, unknown>;
  /** A retry's backoff is over and its connector is unchanged: hand it to the queue. */
  due: (retry: Tracked) => void;
  /** A waiting retry was recorded as cancelled: the end of its run. */
  dropped: (e: Execution, rootId: string) => void;
}

/**
 * A run's next attempts: each is recorded (a pending row with `not_before`) when the policy
 * grants it, so it survives a restart, and queued once its backoff is over; dropped when
 * its connector changes or goes away meanwhile.
 */
export class Retries {
  private readonly timers = new RetryTimers((rowId) => this.release(rowId));

  constructor(private readonly o: RetriesOptions) {}

  /** Records and schedules the next attempt when the policy allows one; true when it did. */
  schedule(t: Tracked, f: Finish, stopping: boolean): boolean {
    const { job } = t;
    const { spec } = job.version;
    const next = decideRetry({ finish: f, attempt: job.attempt, retry: spec.retry, stopping });
    if (!next.retry) return false;
    const now = this.o.now();
    const id = newRunId(now);
    const recorded = this.o.storage.attempt(`record retry ${next.attempt} of ${t.rootId}`, () => insertExecution(this.o.db, {
      id, connectorId: spec.id, trigger: 'retry', attempt: next.attempt, parentId: t.rootId, specHash: t.specHash, gitCommit: getConnector(this.o.db, spec.id)?.gitCommit ?? null,
      scheduledFor: job.scheduledFor, inputs: this.o.redact(job), createdAt: now, notBefore: new Date(now.getTime() + next.delayMs),
    }) && (!job.event || setDeliveryId(this.o.db, id, job.event.deliveryId)));
    if (!recorded) {
      this.o.log.warn({ run: job.id, connector: spec.id, attempt: next.attempt, reason: this.o.storage.problem?.reason }, 'retry not scheduled: it cannot be recorded');
      return false;
    }
    this.o.log.info({ run: job.id, retry: id, connector: spec.id, attempt: next.attempt, delayMs: next.delayMs }, 'retry scheduled');
    this.timers.arm(spec.id, id, next.delayMs);
    return true;
  }

  /** Schedules every recorded retry still waiting (after a restart); they start when their backoff ends. */
  resume(): number {
    const waiting = waitingRetries(this.o.db);
    for (const r of waiting) this.timers.arm(r.connectorId, r.id, Math.max(0, Date.parse(r.notBefore) - this.o.now().getTime()));
    return waiting.length;
  }

  /** Drops the retries waiting for a connector (its version changed, or it was removed): recorded as cancelled. */
  drop(connectorId: string): void {
    for (const rowId of this.timers.drop(connectorId)) this.cancel(rowId, 'dropped: a new version of the connector replaced the one this retry was for');
  }

  /** Forgets the timers; the recorded retries stay pending for the next start. */
  clear(): void {
    this.timers.clear();
  }

  /** A retry's backoff is over: queue it, unless its connector changed or went away meanwhile. */
  private release(rowId: string): void {
    const row = getExecution(this.o.db, rowId);
    if (!row || row.status !== 'pending') return;
    const connector = getConnector(this.o.db, row.connectorId);
    if (!connector?.active || connector.specHash !== row.specHash) {
      this.cancel(rowId, connector?.active ? 'dropped: the connector changed while this retry waited' : 'dropped: the connector was removed');
      return;
    }
    // An emergency stop stops retries too: one due while its connector is paused does not run.
    const paused = pausedMessage(this.o.db, row.connectorId);
    if (paused) return this.cancel(rowId, `dropped: ${paused}`);
    const job: Job = {
      id: row.id, connectorId: row.connectorId, attempt: row.attempt, trigger: 'retry', scheduledFor: row.scheduledFor ? new Date(row.scheduledFor) : null,
      version: connector.version, gitCommit: row.gitCommit, inputs: row.inputs ?? {},
    };
    const event = runEvent(this.o.db, row.parentId ?? row.id); // a retry of an event run sees the same event
    if (event) job.event = event;
    this.o.due({ job, specHash: connector.specHash, rootId: row.parentId ?? row.id });
  }

  private cancel(rowId: string, why: string): void {
    const row = getExecution(this.o.db, rowId);
    if (!row || row.status !== 'pending') return;
    const finishedAt = this.o.now();
    this.o.storage.keep(`record the cancelled retry ${rowId}`, () => {
      if (getExecution(this.o.db, rowId)?.status !== 'pending') return; // recorded meanwhile
      finishExecution(this.o.db, rowId, { status: 'failed', finishedAt, errorKind: 'cancelled', error: why });
      this.o.dropped(getExecution(this.o.db, rowId) as Execution, row.parentId ?? rowId);
    });
  }
}
