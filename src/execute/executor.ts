import type { ConnectorVersion } from '../core/types.js';
import { durationMs } from '../core/duration.js';
import { stmt, type Db } from '../registry/db.js';
import { connectorFilesRead, getConnector } from '../registry/connectors.js';
import {
  finishExecution, getExecution, insertExecution, markRunning, newRunId, recordAgentProcess, spentSince, waitingRetries,
  type ErrorKind, type Execution, type Finish, type Trigger,
} from '../registry/executions.js';
import type { HubConfig } from '../spec/hub-config.js';
import { resolveInputs } from '../template/inputs.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { StorageHealth } from '../registry/storage.js';
import { agentEnvironment } from './environment.js';
import { Redactor } from './redact.js';
import { retryDelayMs } from './backoff.js';
import { runAttempt } from './attempt.js';
import { startOfDay } from './day.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;

/** A request to run a connector now (or for a scheduled slot). */
export interface RunRequest {
  connectorId: string;
  trigger: Trigger;
  inputs?: Record<string, unknown>;
  /** Inputs are command-line strings to coerce to their declared types. */
  coerceInputs?: boolean;
  scheduledFor?: Date | null;
  attempt?: number;
  parentId?: string | null;
}

export type SubmitResult =
  | { status: 'queued'; id: string }
  | { status: 'refused'; reason: 'overlap' | 'duplicate-slot' | 'stopping' | 'storage'; message: string }
  | { status: 'failed'; id: string; reason: 'budget'; message: string };

/** A request that cannot become a run: unknown connector, bad inputs. */
export class RunRequestError extends Error {
  constructor(readonly code: 'not-found' | 'bad-inputs', message: string, readonly details: string[] = []) {
    super(message);
  }
}

export interface ExecutorOptions {
  db: Db;
  root: string;
  hub?: HubConfig;
  log?: Logger;
  /** The hub's environment, where `${NAME}` references are looked up. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  killGraceMs?: number;
  /** Told the repository-relative path of every saveTo output written. */
  onOutput?: (path: string) => void;
  /** Where failed writes (a full disk) are noted and finished runs kept until they can be recorded. */
  storage?: StorageHealth;
}

interface Entry {
  id: string;
  req: RunRequest;
  version: ConnectorVersion;
  specHash: string;
  inputs: Record<string, unknown>;
  attempt: number;
  rootId: string;
  controller: AbortController;
  /** What "run started" would have recorded, had the write not failed: written with the finish. */
  unwrittenStart?: { startedAt: Date; renderedPrompt: string; argv: string[] };
}

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['agent-error', 'timeout', 'invalid-output']);

/**
 * The execution queue: records every run before it starts, runs at most `concurrency`
 * at once, applies each connector's overlap policy, budget and retries, and records the
 * outcome whatever happens (failure, timeout, cancel, stop).
 */
export class Executor {
  private readonly db: Db;
  private readonly root: string;
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => Date;
  private concurrency: number;
  private claudeCommand: string;
  private maxOutputBytes: number;
  private readonly killGraceMs: number;
  private readonly queue: Entry[] = [];
  private readonly running = new Map<string, Entry>();
  private readonly waiters = new Map<string, Array<(e: Execution) => void>>();
  /** Timers of recorded retries waiting for their backoff, by connector: timer → retry row id. */
  private readonly retries = new Map<string, Map<NodeJS.Timeout, string>>();
  /** Waiters for the last attempt of a run and its retries, by the first attempt's id. */
  private readonly chainWaiters = new Map<string, Array<(e: Execution) => void>>();
  private readonly lastOfChain = new Map<string, Execution>();
  private readonly listeners: Array<(e: Execution) => void> = [];
  private stopping = false;
  private readonly onOutput: ((path: string) => void) | undefined;
  private readonly storage: StorageHealth;
  /** Runs that finished but whose record waits for room on the disk, by id. */
  private readonly unrecorded = new Map<string, Entry>();
  /** Called when a run's agent is done, recorded or not (stop waits for these, not for the disk). */
  private readonly ended = new Map<string, Array<() => void>>();

  constructor(o: ExecutorOptions) {
    this.db = o.db;
    this.root = o.root;
    this.log = o.log ?? silentLogger;
    this.env = o.env ?? process.env;
    this.now = o.now ?? (() => new Date());
    this.concurrency = o.hub?.concurrency ?? DEFAULT_CONCURRENCY;
    this.claudeCommand = o.hub?.claude?.command ?? 'claude';
    this.maxOutputBytes = o.hub?.defaults?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.killGraceMs = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.onOutput = o.onOutput;
    this.storage = o.storage ?? new StorageHealth({ dbFile: this.db.name, log: this.log });
  }

  /**
   * Takes the run-related settings of a changed hub.yaml: the concurrency limit (a higher
   * one starts waiting runs at once; a lower one lets running runs finish), the claude
   * command and the output limit for runs that start from now on.
   */
  configure(hub: HubConfig): void {
    this.concurrency = hub.concurrency ?? DEFAULT_CONCURRENCY;
    this.claudeCommand = hub.claude?.command ?? 'claude';
    this.maxOutputBytes = hub.defaults?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.pump();
  }

  /** Runs waiting for a free slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs executing now. */
  get active(): number {
    return this.running.size;
  }

  /** Runs that finished but are not recorded yet (the disk is full): kept in memory and retried. */
  get unrecordedRuns(): number {
    return this.unrecorded.size;
  }

  /** Called with every finished execution (success or failure). */
  onFinished(listener: (e: Execution) => void): void {
    this.listeners.push(listener);
  }

  /** A listener that fails (a full disk under the run record) is logged; the queue goes on. */
  private notifyFinished(execution: Execution): void {
    for (const listener of this.listeners) {
      try {
        listener(execution);
      } catch (err) {
        this.log.error({ run: execution.id, err: (err as Error).message }, 'a step after the run failed; the run itself is recorded in the registry');
      }
    }
  }

  /**
   * Runs of a connector that another process (the daemon, a CLI `run`) is executing now:
   * rows marked running, started less than the connector's timeout (plus a margin) ago,
   * so a row a crash left behind does not block forever. They cannot be replaced from here.
   */
  private runningElsewhere(connectorId: string, timeoutMs: number): string[] {
    const since = new Date(this.now().getTime() - timeoutMs - 60_000).toISOString();
    const rows = stmt(this.db, "SELECT id FROM executions WHERE connector_id = ? AND status = 'running' AND started_at >= ?").all(connectorId, since) as Array<{ id: string }>;
    return rows.map((r) => r.id).filter((id) => !this.running.has(id) && !this.unrecorded.has(id));
  }

  /** Ids of this connector's runs that are queued or running. */
  unfinished(connectorId: string): string[] {
    return [...this.queue, ...this.running.values()].filter((e) => e.req.connectorId === connectorId).map((e) => e.id);
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
    const inputs = resolveInputs(spec.inputs, req.inputs ?? {}, req.coerceInputs === true);
    if (!inputs.ok) throw new RunRequestError('bad-inputs', `bad inputs for ${spec.id}: ${inputs.errors.join('; ')}`, inputs.errors);

    const others = this.unfinished(spec.id);
    const elsewhere = spec.concurrency === 'allow' ? [] : this.runningElsewhere(spec.id, durationMs(spec.agent.timeout));
    if ((others.length || elsewhere.length) && req.trigger !== 'retry') {
      if (spec.concurrency === 'forbid' || elsewhere.length) {
        const where = elsewhere.length ? ` in another agent-hub process (${elsewhere.join(', ')})` : ` (${others.join(', ')})`;
        const message = `${spec.id} is already running${where} and its concurrency policy is ${spec.concurrency}`;
        // A scheduled slot's skip is logged and counted by the hub; a manual or API caller gets the refusal itself.
        if (!req.scheduledFor) this.log.info({ connector: spec.id, trigger: req.trigger, running: [...others, ...elsewhere] }, 'run refused: overlap');
        return { status: 'refused', reason: 'overlap', message };
      }
      if (spec.concurrency === 'replace') for (const id of others) this.cancel(id, `replaced by a new ${req.trigger} run`);
    }

    const now = this.now();
    const id = newRunId(now);
    const attempt = req.attempt ?? 1;
    let inserted = false;
    // Every run is recorded before it starts: one that cannot be (a full disk) does not start.
    const written = this.storage.attempt(`record a new run of ${spec.id}`, () => {
      inserted = insertExecution(this.db, {
        id, connectorId: spec.id, trigger: req.trigger, attempt, parentId: req.parentId ?? null, specHash: connector.specHash,
        gitCommit: connector.gitCommit, scheduledFor: req.scheduledFor ?? null, inputs: new Redactor(this.secretsOf(version)).value(inputs.values), createdAt: now,
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

    return this.enqueue({ id, req, version, specHash: connector.specHash, inputs: inputs.values, attempt, rootId: req.parentId ?? id, controller: new AbortController() });
  }

  /** Queues a recorded run, unless the connector's daily budget is spent (then it is recorded as failed). */
  private enqueue(entry: Entry): SubmitResult {
    const { spec } = entry.version;
    const perDay = spec.budget.maxCostUsdPerDay;
    if (perDay !== undefined) {
      const now = this.now();
      const spent = spentSince(this.db, spec.id, startOfDay(now, spec.timezone));
      // Runs still going may spend up to maxCostUsdPerRun each: count that as spent, so
      // runs side by side cannot overshoot the day together.
      const reserved = this.unfinished(spec.id).filter((id) => id !== entry.id).length * (spec.budget.maxCostUsdPerRun ?? 0);
      if (spent + reserved >= perDay) {
        const held = reserved ? ` and $${reserved.toFixed(4)} held for runs in progress` : '';
        const message = `daily budget reached: $${spent.toFixed(4)} spent today${held} of $${perDay} (budget.maxCostUsdPerDay); no new run until midnight ${spec.timezone ?? 'UTC'}`;
        this.finish(entry, { status: 'failed', finishedAt: now, errorKind: 'budget', error: message });
        return { status: 'failed', id: entry.id, reason: 'budget', message };
      }
    }
    this.queue.push(entry);
    this.log.debug({ run: entry.id, connector: spec.id, trigger: entry.req.trigger }, 'run queued');
    this.pump();
    return { status: 'queued', id: entry.id };
  }

  /** Resolves with the execution once it has finished and been recorded. */
  wait(id: string): Promise<Execution> {
    const done = getExecution(this.db, id);
    if (done && (done.status === 'success' || done.status === 'failed') && !this.running.has(id)) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /**
   * Resolves with the final attempt of a run: the run itself, or its last retry once no
   * further retry is coming.
   */
  waitFinal(id: string): Promise<Execution> {
    // The chain may have ended already (a run that failed before spawning finishes at once).
    const latest = this.db.prepare('SELECT id, status FROM executions WHERE id = ? OR parent_id = ? ORDER BY attempt DESC LIMIT 1').get(id, id) as { id: string; status: string } | undefined;
    // A retry waiting for its backoff is a pending row, so "finished" means the chain is over.
    const busy = [...this.queue, ...this.running.values()].some((e) => e.rootId === id);
    if (latest && (latest.status === 'success' || latest.status === 'failed') && !busy) {
      return Promise.resolve(getExecution(this.db, latest.id) as Execution);
    }
    return new Promise((resolve) => this.chainWaiters.set(id, [...(this.chainWaiters.get(id) ?? []), resolve]));
  }

  private settleChain(rootId: string): void {
    const last = this.lastOfChain.get(rootId);
    if (!last) return;
    this.lastOfChain.delete(rootId);
    for (const resolve of this.chainWaiters.get(rootId) ?? []) resolve(last);
    this.chainWaiters.delete(rootId);
  }

  /** Cancels a queued or running run; it is recorded as failed, kind cancelled. */
  cancel(id: string, why = 'cancelled'): boolean {
    const queued = this.queue.findIndex((e) => e.id === id);
    if (queued >= 0) {
      const [entry] = this.queue.splice(queued, 1);
      this.finish(entry as Entry, { status: 'failed', finishedAt: this.now(), errorKind: 'cancelled', error: why });
      return true;
    }
    const running = this.running.get(id);
    if (!running) return false;
    running.controller.abort(why);
    return true;
  }

  /** Drops the retries waiting for a connector (its version changed, or it was removed): recorded as cancelled. */
  dropRetries(connectorId: string): void {
    for (const [timer, rowId] of this.retries.get(connectorId) ?? []) {
      clearTimeout(timer);
      this.cancelWaitingRetry(rowId, 'dropped: a new version of the connector replaced the one this retry was for');
    }
    this.retries.delete(connectorId);
  }

  /** Schedules every recorded retry still waiting (after a restart); they start when their backoff ends. */
  resumeRetries(): number {
    const waiting = waitingRetries(this.db);
    for (const r of waiting) this.armRetry(r.connectorId, r.id, Math.max(0, Date.parse(r.notBefore) - this.now().getTime()));
    return waiting.length;
  }

  private armRetry(connectorId: string, rowId: string, delayMs: number): void {
    const timers = this.retries.get(connectorId) ?? new Map<NodeJS.Timeout, string>();
    const timer = setTimeout(() => {
      timers.delete(timer);
      this.releaseRetry(rowId);
    }, delayMs);
    timers.set(timer, rowId);
    this.retries.set(connectorId, timers);
  }

  /** A retry's backoff is over: queue it, unless its connector changed or went away meanwhile. */
  private releaseRetry(rowId: string): void {
    const row = getExecution(this.db, rowId);
    if (!row || row.status !== 'pending') return;
    const connector = getConnector(this.db, row.connectorId);
    if (!connector?.active || connector.specHash !== row.specHash) {
      this.cancelWaitingRetry(rowId, connector?.active ? 'dropped: the connector changed while this retry waited' : 'dropped: the connector was removed');
      return;
    }
    this.enqueue({
      id: row.id, version: connector.version, specHash: connector.specHash, inputs: row.inputs ?? {}, attempt: row.attempt, rootId: row.parentId ?? row.id,
      req: { connectorId: row.connectorId, trigger: 'retry', scheduledFor: row.scheduledFor ? new Date(row.scheduledFor) : null, attempt: row.attempt, parentId: row.parentId },
      controller: new AbortController(),
    });
  }

  private cancelWaitingRetry(rowId: string, why: string): void {
    const row = getExecution(this.db, rowId);
    if (!row || row.status !== 'pending') return;
    const finishedAt = this.now();
    this.storage.keep(`record the cancelled retry ${rowId}`, () => {
      if (getExecution(this.db, rowId)?.status !== 'pending') return; // recorded meanwhile
      finishExecution(this.db, rowId, { status: 'failed', finishedAt, errorKind: 'cancelled', error: why });
      const execution = getExecution(this.db, rowId) as Execution;
      this.notifyFinished(execution);
      this.lastOfChain.set(row.parentId ?? rowId, execution);
      this.settleChain(row.parentId ?? rowId);
    });
  }

  /**
   * Stops taking runs, gives running ones `graceMs` to finish, then cancels them; queued
   * ones are recorded as cancelled. Resolves when every run is recorded.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    // Recorded retries stay pending: the next start resumes them.
    for (const timers of this.retries.values()) for (const timer of timers.keys()) clearTimeout(timer);
    this.retries.clear();
    for (const entry of this.queue.splice(0)) {
      this.finish(entry, { status: 'failed', finishedAt: this.now(), errorKind: 'cancelled', error: 'the hub stopped before this run started' });
    }
    // Waits for the agents to end, not for the disk: a record that still cannot be written is reported by the caller.
    const all = [...this.running.keys()].map((id) => new Promise<void>((resolve) => this.ended.set(id, [...(this.ended.get(id) ?? []), resolve])));
    if (all.length) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.all(all), graceOver]);
      clearTimeout(timer);
      for (const entry of this.running.values()) entry.controller.abort('the hub stopped');
      await Promise.all(all);
    }
    // One last try for records kept in memory; what still cannot be written, the caller reports.
    if (this.unrecorded.size) this.storage.flush();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length) {
      const entry = this.queue.shift() as Entry;
      this.running.set(entry.id, entry);
      void this.execute(entry).catch((err: unknown) => {
        // A bug here must still leave a record, never a run stuck in "running".
        this.log.error({ run: entry.id, err }, 'run crashed');
        this.finish(entry, { status: 'failed', finishedAt: this.now(), errorKind: 'agent-error', error: `internal error: ${(err as Error)?.message ?? String(err)}` });
      });
    }
  }

  private secretsOf(version: ConnectorVersion): string[] {
    return agentEnvironment(version.spec.agent.type, version.spec.agent.env, this.env).secrets;
  }

  private async execute(entry: Entry): Promise<void> {
    const f = await runAttempt({
      root: this.root, env: this.env, claudeCommand: this.claudeCommand, maxOutputBytes: this.maxOutputBytes, killGraceMs: this.killGraceMs, now: this.now,
      ...(this.onOutput ? { onOutput: this.onOutput } : {}),
      filesReadByConnectors: () => connectorFilesRead(this.db, this.root),
      onProcess: (p) => recordAgentProcess(this.db, entry.id, p),
      onStart: (fields) => {
        // On a full disk the run goes on; what this would have recorded is written with its finish.
        if (!this.storage.attempt(`record run ${entry.id} as started`, () => markRunning(this.db, entry.id, fields))) entry.unwrittenStart = fields;
        this.log.info({ run: entry.id, connector: entry.req.connectorId, trigger: entry.req.trigger, attempt: entry.attempt }, 'run started');
      },
    }, {
      id: entry.id, version: entry.version, inputs: entry.inputs, trigger: entry.req.trigger, scheduledFor: entry.req.scheduledFor ?? null,
      attempt: entry.attempt, signal: entry.controller.signal,
    });
    this.finish(entry, f);
  }

  /**
   * A run is over: its slot is free at once; its record is written now or, when the disk is
   * full, kept in memory and written (once) when there is room, and only then announced.
   */
  private finish(entry: Entry, f: Finish): void {
    this.running.delete(entry.id);
    this.unrecorded.set(entry.id, entry);
    for (const resolve of this.ended.get(entry.id) ?? []) resolve();
    this.ended.delete(entry.id);
    if (!this.storage.keep(`record the finished run ${entry.id}`, () => this.record(entry, f))) {
      this.log.warn({ run: entry.id, connector: entry.req.connectorId, status: f.status, reason: this.storage.problem?.reason }, 'run finished; its record is kept in memory until it can be written');
    }
    this.pump();
  }

  /** Writes a finished run (and, if that failed before, its start) in one transaction, then tells everyone. */
  private record(entry: Entry, f: Finish): void {
    const start = entry.unwrittenStart;
    this.db.transaction(() => {
      if (start) markRunning(this.db, entry.id, start);
      finishExecution(this.db, entry.id, f);
    })();
    this.unrecorded.delete(entry.id);
    const execution = getExecution(this.db, entry.id) as Execution;
    const level = f.status === 'success' ? 'info' : 'warn';
    this.log[level]({ run: entry.id, connector: entry.req.connectorId, status: f.status, errorKind: f.errorKind ?? undefined, costUsd: f.costUsd ?? undefined }, `run ${f.status}`);
    this.lastOfChain.set(entry.rootId, execution);
    if (!this.maybeRetry(entry, f)) this.settleChain(entry.rootId);
    this.notifyFinished(execution);
    for (const resolve of this.waiters.get(entry.id) ?? []) resolve(execution);
    this.waiters.delete(entry.id);
  }

  /** Records and schedules the next attempt when the policy allows one; true when it did. */
  private maybeRetry(entry: Entry, f: Finish): boolean {
    const { spec } = entry.version;
    if (f.status !== 'failed' || !f.errorKind || !RETRYABLE.has(f.errorKind) || f.retryable === false || this.stopping) return false;
    const next = entry.attempt + 1;
    if (next > spec.retry.attempts) return false;
    const delay = retryDelayMs(spec.retry, next);
    const now = this.now();
    const id = newRunId(now);
    const recorded = this.storage.attempt(`record retry ${next} of ${entry.rootId}`, () => insertExecution(this.db, {
      id, connectorId: spec.id, trigger: 'retry', attempt: next, parentId: entry.rootId, specHash: entry.specHash, gitCommit: getConnector(this.db, spec.id)?.gitCommit ?? null,
      scheduledFor: entry.req.scheduledFor ?? null, inputs: new Redactor(this.secretsOf(entry.version)).value(entry.inputs), createdAt: now,
      notBefore: new Date(now.getTime() + delay),
    }));
    if (!recorded) {
      this.log.warn({ run: entry.id, connector: spec.id, attempt: next, reason: this.storage.problem?.reason }, 'retry not scheduled: it cannot be recorded');
      return false;
    }
    this.log.info({ run: entry.id, retry: id, connector: spec.id, attempt: next, delayMs: delay }, 'retry scheduled');
    this.armRetry(spec.id, id, delay);
    return true;
  }
}
