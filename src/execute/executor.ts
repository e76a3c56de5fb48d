import { durationMs } from '../core/duration.js';
import type { Db } from '../registry/db.js';
import { getConnector } from '../registry/connectors.js';
import {
  getExecution, insertExecution, markRunning, newRunId, spentSince, type Execution, type Finish,
} from '../registry/executions.js';
import { latestAttempt, runningSince } from '../registry/attempts.js';
import { pausedMessage } from '../registry/pauses.js';
import type { HubConfig } from '../spec/hub-config.js';
import { resolveInputs } from '../template/inputs.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { StorageHealth } from '../registry/storage.js';
import { agentEnvironment } from './environment.js';
import { Redactor } from './redact.js';
import { startOfDay } from './day.js';
import { runSettings, type ExecutionBackend, type Job, type JobStart } from './backend.js';
import { decideBudget, decideOverlap } from './policy.js';
import { Retries, type Tracked } from './retries.js';
import { Waiters } from './waiters.js';
import { Recorder, type Entry } from './recorder.js';
import { RunRequestError, type RunRequest, type SubmitResult } from './requests.js';

export { RunRequestError, type RunRequest, type SubmitResult } from './requests.js';

export interface ExecutorOptions {
  db: Db;
  /** Runs the jobs this executor decides on (see backend.ts). */
  backend: ExecutionBackend;
  /** Where failed writes (a full disk) are noted and finished runs kept until they can be recorded. */
  storage: StorageHealth;
  log?: Logger;
  /** The hub's environment: which values are secrets, to redact them from recorded inputs. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Called inside the transaction that records a finished run (its deliveries are queued with it). */
  inRecord?: (job: Job, f: Finish) => void;
  /** Writes, off the event loop, what must be on disk before wait() answers for a finished run (its record file). */
  afterRecord?: (e: Execution) => Promise<void>;
}

/**
 * The hub's side of running: records every run before it starts, decides overlap, budget
 * and retries (policy.ts) and hands the jobs to a backend, which runs them; records each
 * outcome it reports, whatever happens (failure, timeout, cancel, stop, a full disk).
 */
export class Executor {
  private readonly db: Db;
  readonly backend: ExecutionBackend;
  private readonly storage: StorageHealth;
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => Date;
  /** Jobs the backend holds (queued or running), by id. */
  private readonly inFlight = new Map<string, Entry>();
  private readonly retries: Retries;
  private readonly waiters = new Waiters();
  private readonly recorder: Recorder;
  private stopping = false;

  constructor(o: ExecutorOptions) {
    this.db = o.db;
    this.backend = o.backend;
    this.storage = o.storage;
    this.log = o.log ?? silentLogger;
    this.env = o.env ?? process.env;
    this.now = o.now ?? (() => new Date());
    this.recorder = new Recorder({
      db: this.db, storage: this.storage, log: this.log, waiters: this.waiters, inRecord: o.inRecord, afterRecord: o.afterRecord,
      retry: (entry, f) => this.retries.schedule(entry, f, this.stopping),
    });
    this.retries = new Retries({
      db: this.db, storage: this.storage, log: this.log, now: this.now, redact: (job) => this.redacted(job.inputs, job.version.spec.agent),
      due: (retry) => void this.enqueue(retry),
      dropped: (e, rootId) => this.recorder.announce(e, rootId),
    });
    this.backend.onStarted((id, start) => this.started(id, start));
    this.backend.onFinished((id, f) => {
      const entry = this.inFlight.get(id);
      if (entry) this.finish(entry, f);
      else this.log.warn({ run: id }, 'a result for a run this hub does not hold was ignored');
    });
  }

  /**
   * Takes the run-related settings of a changed hub.yaml: the concurrency limit (a higher
   * one starts waiting runs at once; a lower one lets running runs finish), the claude
   * command and the output limit for runs that start from now on.
   */
  configure(hub: HubConfig): void {
    this.backend.configure(runSettings(hub));
  }

  /** Runs waiting for a free slot. */
  get queued(): number { return this.backend.counts().queued; }

  /** Runs executing now. */
  get active(): number {
    return this.backend.counts().running;
  }

  /** Runs that finished but are not recorded yet (the disk is full): kept in memory and retried. */
  get unrecordedRuns(): number {
    return this.recorder.unrecorded.size;
  }

  /** Called with every finished execution (success or failure), once it is recorded. */
  onFinished(listener: (e: Execution) => void): void {
    this.recorder.onFinished(listener);
  }

  /** Ids of this connector's runs that are queued or running. */
  unfinished(connectorId: string): string[] {
    return [...this.inFlight.values()].filter((e) => e.job.connectorId === connectorId).map((e) => e.job.id);
  }

  /**
   * Runs of a connector that another process (the daemon, a CLI `run`) is executing now:
   * rows marked running, started less than the connector's timeout (plus a margin) ago,
   * so a row a crash left behind does not block forever.
   */
  private runningElsewhere(connectorId: string, timeoutMs: number): string[] {
    const since = new Date(this.now().getTime() - timeoutMs - 60_000);
    return runningSince(this.db, connectorId, since).filter((id) => !this.inFlight.has(id) && !this.recorder.unrecorded.has(id));
  }

  /**
   * Records a run and queues it. Throws RunRequestError for an unknown connector or bad
   * inputs; refuses (without recording) a run the overlap policy forbids or a slot that
   * already ran; records a failed run when the day's budget is spent.
   */
  submit(req: RunRequest): SubmitResult {
    if (this.stopping) return { status: 'refused', reason: 'stopping', message: 'the hub is stopping' };
    const connector = getConnector(this.db, req.connectorId);
    if (!connector || !connector.active) throw new RunRequestError('not-found', `no active connector "${req.connectorId}"`);
    const { version } = connector;
    const { spec } = version;
    const paused = pausedMessage(this.db, spec.id);
    if (paused) return { status: 'refused', reason: 'paused', message: paused };
    const inputs = resolveInputs(spec.inputs, req.inputs ?? {}, req.coerceInputs === true);
    if (!inputs.ok) throw new RunRequestError('bad-inputs', `bad inputs for ${spec.id}: ${inputs.errors.join('; ')}`, inputs.errors);

    // Whatever else runs, `allow` and a retry run (decideOverlap): no need to look through every run held.
    const here = spec.concurrency === 'allow' || req.trigger === 'retry' ? [] : this.unfinished(spec.id);
    const elsewhere = spec.concurrency === 'allow' ? [] : this.runningElsewhere(spec.id, durationMs(spec.agent.timeout));
    const overlap = decideOverlap({ id: spec.id, policy: spec.concurrency, trigger: req.trigger, here, elsewhere });
    if (!overlap.run) {
      // A scheduled slot's skip is logged and counted by the hub; a manual or API caller gets the refusal itself.
      if (!req.scheduledFor) this.log.info({ connector: spec.id, trigger: req.trigger, running: overlap.running }, 'run refused: overlap');
      return { status: 'refused', reason: 'overlap', message: overlap.message };
    }
    for (const id of overlap.replace) this.cancel(id, `replaced by a new ${req.trigger} run`);

    const now = this.now();
    const id = newRunId(now);
    const attempt = req.attempt ?? 1;
    let inserted = false;
    // Every run is recorded before it starts: one that cannot be (a full disk) does not start.
    const written = this.storage.attempt(`record a new run of ${spec.id}`, () => {
      inserted = insertExecution(this.db, {
        id, connectorId: spec.id, trigger: req.trigger, attempt, parentId: req.parentId ?? null, specHash: connector.specHash,
        gitCommit: connector.gitCommit, scheduledFor: req.scheduledFor ?? null, inputs: this.redacted(inputs.values, spec.agent), createdAt: now,
      });
    });
    if (!written) {
      const message = `${spec.id} not started: the run cannot be recorded (${this.storage.problem?.reason ?? 'storage error'}); the hub retries its writes and runs again once there is room`;
      this.log.warn({ connector: spec.id, trigger: req.trigger, scheduledFor: req.scheduledFor }, message);
      return { status: 'refused', reason: 'storage', message };
    }
    if (!inserted) {
      return { status: 'refused', reason: 'duplicate-slot', message: `${spec.id} already has a run for ${req.scheduledFor?.toISOString()}` };
    }
    const job: Job = { id, connectorId: spec.id, attempt, trigger: req.trigger, scheduledFor: req.scheduledFor ?? null, version, gitCommit: connector.gitCommit, inputs: inputs.values, ...(req.event ? { event: req.event } : {}) };
    return this.enqueue({ job, specHash: connector.specHash, rootId: req.parentId ?? id });
  }

  /** Hands a recorded run to the backend, unless the connector's daily budget is spent (then it is recorded as failed). */
  private enqueue(entry: Entry): SubmitResult {
    const { job } = entry;
    const { spec } = job.version;
    if (spec.budget.maxCostUsdPerDay !== undefined) {
      const now = this.now();
      const budget = decideBudget({
        budget: spec.budget, timezone: spec.timezone, spentToday: spentSince(this.db, spec.id, startOfDay(now, spec.timezone)),
        inProgress: this.unfinished(spec.id).filter((id) => id !== job.id).length,
      });
      if (!budget.run) {
        this.finish(entry, { status: 'failed', finishedAt: now, errorKind: 'budget', error: budget.message });
        return { status: 'failed', id: job.id, reason: 'budget', message: budget.message };
      }
    }
    this.inFlight.set(job.id, entry);
    this.log.debug({ run: job.id, connector: spec.id, trigger: job.trigger }, 'run queued');
    this.backend.submit(job);
    return { status: 'queued', id: job.id };
  }

  /** Resolves with the execution once it has finished and been recorded. */
  wait(id: string): Promise<Execution> {
    // A run still held has not finished: no need to read its row.
    if (this.inFlight.has(id)) return this.waiters.attempt(id);
    const done = getExecution(this.db, id);
    if (done && (done.status === 'success' || done.status === 'failed') && !this.recorder.writingFiles(id)) return Promise.resolve(done);
    return this.waiters.attempt(id);
  }

  /**
   * Resolves with the final attempt of a run: the run itself, or its last retry once no
   * further retry is coming.
   */
  waitFinal(id: string): Promise<Execution> {
    // The chain may have ended already (a run that failed before spawning finishes at once).
    const latest = latestAttempt(this.db, id);
    // A retry waiting for its backoff is a pending row, so "finished" means the chain is over.
    const busy = [...this.inFlight.values()].some((e) => e.rootId === id);
    if (latest && (latest.status === 'success' || latest.status === 'failed') && !busy && !this.recorder.writingFiles(latest.id)) {
      return Promise.resolve(getExecution(this.db, latest.id) as Execution);
    }
    return this.waiters.chain(id);
  }

  /** Cancels a queued or running run; it is recorded as failed, kind cancelled. */
  cancel(id: string, why = 'cancelled'): boolean {
    return this.inFlight.has(id) && this.backend.cancel(id, why);
  }

  /** Drops the retries waiting for a connector (its version changed, or it was removed): recorded as cancelled. */
  dropRetries(connectorId: string): void {
    this.retries.drop(connectorId);
  }

  /** Holds again runs a backend that outlives the hub (workers through Redis) still runs: their results are still to come. */
  adopt(runs: Array<Tracked & { started: boolean }>): void {
    for (const { started, ...e } of runs) if (this.backend.adopt && !this.inFlight.has(e.job.id)) { this.inFlight.set(e.job.id, e); this.backend.adopt(e.job, started); }
  }

  /** Schedules every recorded retry still waiting (after a restart); they start when their backoff ends. */
  resumeRetries(): number {
    return this.retries.resume();
  }

  /**
   * Stops taking runs, gives running ones `graceMs` to finish, then cancels them; queued
   * ones are recorded as cancelled. Resolves when every agent has ended.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    // Recorded retries stay pending: the next start resumes them.
    this.retries.clear();
    // Waits for the agents to end, not for the disk: a record that still cannot be written is reported by the caller.
    await this.backend.stop(graceMs);
    await this.recorder.settled();
    // One last try for records kept in memory; what still cannot be written, the caller reports.
    if (this.recorder.unrecorded.size) this.storage.flush();
  }

  private redacted(inputs: Record<string, unknown>, agent: Job['version']['spec']['agent']): Record<string, unknown> {
    return new Redactor(agentEnvironment(agent.type, agent.env, this.env).secrets).value(inputs);
  }

  private started(id: string, start: JobStart): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    // On a full disk the run goes on; what this would have recorded is written with its finish.
    if (!this.storage.attempt(`record run ${id} as started`, () => markRunning(this.db, id, start))) entry.unwrittenStart = start;
    this.log.info({ run: id, connector: entry.job.connectorId, trigger: entry.job.trigger, attempt: entry.job.attempt }, 'run started');
  }

  /** A run is over: the backend no longer holds it; see Recorder.finish. */
  private finish(entry: Entry, f: Finish): void {
    this.inFlight.delete(entry.job.id);
    this.recorder.finish(entry, f);
  }
}
