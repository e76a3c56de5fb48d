import type { Job as BullJob, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmq, ioredis } from './modules.js';
import type { Finish } from '../../registry/executions.js';
import { agentTypes } from '../../agents/index.js';
import { agentSettings } from '../../spec/hub-config.js';
import type { BackendContext, ExecutionBackend, Job, JobStart, QueueView, RunSettings } from '../backend.js';
import { connectionFor, safeUrl, type QueueTarget } from './connection.js';
import { RESULTS_QUEUE, WORKER_LOST, cancelChannel, cancelKey, finishFromWire, runQueue, type ResultMessage, type RunJobData } from './protocol.js';
import { applyOutputs, expectedOutput, sideRecord } from './records.js';
import { recordDuplicate, recordWorker } from '../../registry/workers.js';
import { Latencies, listWorkers } from './stats.js';
import { JobReports } from '../listeners.js';

type State = 'hub' | 'queued' | 'running';
interface Held {
  job: Job;
  state: State;
  /** Sweeps that found no job in Redis for this run. */
  missing: number;
  /** The worker's clock less the hub's, ms, from its start message. */
  clockOffsetMs?: number;
}

const KEEP_COMPLETED = { age: 3600, count: 10_000 };

/**
 * Runs jobs on `agent-hub worker` processes through BullMQ: one Redis queue per agent type,
 * the job id is the run id (an attempt is queued once), results come back through one
 * results queue this hub reads in order, and the hub records them (first result wins).
 * The global limit stays here: at most `concurrency` runs are queued or running on workers.
 */
export class BullMqBackend implements ExecutionBackend {
  private settings: RunSettings;
  private readonly fifo: Held[] = [];
  private readonly held = new Map<string, Held>();
  private readonly reports: JobReports;
  private readonly queues = new Map<string, Queue>();
  private readonly events: QueueEvents[] = [];
  /**
   * Stalled-job checks run here too: a run is found lost even when no worker is left to notice.
   * Often (BullMQ lets one check per interval through, so a slow one here would slow the workers').
   */
  private readonly checkers: Worker[] = [];
  private readonly results: Worker;
  private readonly redis: Redis;
  private readonly sweeper: NodeJS.Timeout;
  private stopping = false;
  private closed: Promise<void> | undefined;
  readonly latencies = new Latencies();
  /** Where workers send this hub's results: the shared `results`, or a queue of its own (`agent-hub run`). */
  private readonly replyTo: string;

  constructor(private readonly ctx: BackendContext, readonly target: QueueTarget, opts: { sweepMs?: number; stalledMs?: number; replyTo?: string } = {}) {
    this.replyTo = opts.replyTo ?? RESULTS_QUEUE;
    this.settings = ctx.settings;
    this.reports = new JobReports(ctx.log);
    const connection = connectionFor(target.url);
    const { prefix } = target;
    const { Queue, QueueEvents, Worker } = bullmq();
    this.redis = new (ioredis().Redis)(target.url, { maxRetriesPerRequest: null });
    this.redis.on('error', () => undefined); // health() tells; ioredis reconnects
    for (const type of Object.keys(agentTypes)) {
      this.queues.set(type, new Queue(runQueue(type), { connection, prefix }));
      const ev = new QueueEvents(runQueue(type), { connection, prefix });
      ev.on('failed', ({ jobId, failedReason }) => this.lost(jobId, failedReason));
      // BullMQ 6 moves a job that stalled too often back to wait, failing it when a worker next takes it: lost now.
      ev.on('stalled', ({ jobId }) => this.lost(jobId, 'its lock expired: stalled'));
      ev.on('error', () => undefined);
      this.events.push(ev);
      const checker = new Worker(runQueue(type), null, { connection, prefix, autorun: false, maxStalledCount: 0, stalledInterval: opts.stalledMs ?? opts.sweepMs ?? 2000 });
      checker.on('error', () => undefined);
      void checker.startStalledCheckTimer().catch(() => undefined);
      this.checkers.push(checker);
    }
    for (const q of this.queues.values()) q.on('error', () => undefined);
    this.results = new Worker(this.replyTo, async (j: BullJob<ResultMessage>) => this.apply(j.data), { connection, prefix, concurrency: 1, maxStalledCount: 1000 });
    this.results.on('error', (err) => ctx.log.warn({ err: err.message }, 'queue connection problem; retrying'));
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), opts.sweepMs ?? 2000);
    this.sweeper.unref();
  }

  submit(job: Job): void {
    if (this.held.has(job.id)) {
      this.ctx.log.warn({ run: job.id }, 'job submitted twice; the one held already stands');
      return;
    }
    const h: Held = { job, state: 'hub', missing: 0 };
    this.held.set(job.id, h);
    if (this.stopping) return this.end(h, this.cancelled('the hub stopped before this run started'));
    this.fifo.push(h);
    this.pump();
  }

  /** A run a previous hub process queued and did not see finish: its result is still to come. */
  adopt(job: Job, started: boolean): void {
    if (!this.held.has(job.id)) this.held.set(job.id, { job, state: started ? 'running' : 'queued', missing: 0 });
  }

  cancel(id: string, reason: string): boolean {
    const h = this.held.get(id);
    if (!h) return false;
    if (h.state === 'hub') {
      this.fifo.splice(this.fifo.indexOf(h), 1);
      this.end(h, this.cancelled(reason));
    } else if (h.state === 'queued') {
      void this.unqueue(h, reason).then((gone) => gone || this.signalCancel(id, reason)).catch(() => this.signalCancel(id, reason));
    } else {
      this.signalCancel(id, reason);
    }
    return true;
  }

  configure(settings: RunSettings): void {
    this.settings = settings;
    this.pump();
  }

  counts(): { queued: number; running: number } {
    let running = 0;
    for (const h of this.held.values()) if (h.state === 'running') running++;
    return { queued: this.held.size - running, running };
  }

  onStarted(listener: (id: string, start: JobStart) => void): void {
    this.reports.onStarted(listener);
  }

  onFinished(listener: (id: string, finish: Finish) => void): void {
    this.reports.onFinished(listener);
  }

  /** Why the queue cannot be used now (Redis unreachable), or null. */
  health(): string | null {
    return this.redis.status === 'ready' ? null : `queue: Redis at ${safeUrl(this.target.url)} unreachable (${this.redis.status}); runs wait in the hub until it is back`;
  }

  /** Jobs waiting in Redis per agent type, the live workers, recent latency; what Redis cannot tell now is left empty. */
  async queueView(): Promise<QueueView> {
    const waiting: Record<string, number> = {};
    const reachable = this.redis.status === 'ready';
    let workers: QueueView['workers'] = [];
    if (reachable) {
      for (const [type, q] of this.queues) waiting[type] = await q.getWaitingCount();
      workers = await listWorkers(this.redis, this.target.prefix);
    }
    const l = this.latencies;
    return {
      type: 'bullmq', url: safeUrl(this.target.url), prefix: this.target.prefix, reachable, waiting, workers,
      enqueueToStartMs: { p50: l.quantile(0.5), p95: l.quantile(0.95), count: l.count },
    };
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const h of this.fifo.splice(0)) this.end(h, this.cancelled('the hub stopped before this run started'));
    await Promise.all([...this.held.values()].filter((h) => h.state === 'queued').map(async (h) => {
      if (await this.unqueue(h, 'the hub stopped before this run started').catch(() => false)) return;
    }));
    const all = () => this.reports.finishOf(this.held.keys());
    await this.within(graceMs, all());
    for (const id of this.held.keys()) this.signalCancel(id, 'the hub stopped');
    // A worker that is gone cannot answer: what it held is recorded as stopped, and a late result is a duplicate.
    await this.within(this.ctx.killGraceMs + 5000, all());
    for (const h of [...this.held.values()]) this.end(h, { status: 'failed', finishedAt: this.ctx.now(), errorKind: 'cancelled', error: 'cancelled: the hub stopped' });
    await this.close();
  }

  private close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.sweeper);
      await this.results.close();
      if (this.replyTo !== RESULTS_QUEUE) {
        const own = new (bullmq().Queue)(this.replyTo, { connection: connectionFor(this.target.url), prefix: this.target.prefix });
        await own.obliterate({ force: true }).catch(() => undefined);
        await own.close();
      }
      await Promise.all([...this.queues.values()].map((q) => q.close()));
      await Promise.all(this.events.map((e) => e.close()));
      await Promise.all(this.checkers.map((c) => c.close()));
      this.redis.disconnect();
    })();
    return this.closed;
  }

  private async within(ms: number, waits: Array<Promise<void>>): Promise<void> {
    if (!waits.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private cancelled(error: string): Finish {
    return { status: 'failed', finishedAt: this.ctx.now(), errorKind: 'cancelled', error };
  }

  /** Takes a job not yet begun out of Redis; true when it was (then it is over, cancelled). */
  private async unqueue(h: Held, reason: string): Promise<boolean> {
    const removed = await this.queueOf(h.job).remove(h.job.id);
    if (removed !== 1 || this.held.get(h.job.id) !== h || h.state !== 'queued') return false;
    this.end(h, this.cancelled(reason));
    return true;
  }

  /** Tells the worker running it to stop; kept an hour for a worker that has not begun it yet. */
  private signalCancel(id: string, reason: string): void {
    const { prefix } = this.target;
    void this.redis.multi().set(cancelKey(prefix, id), reason, 'EX', 3600).publish(cancelChannel(prefix), JSON.stringify({ runId: id, reason })).exec().catch(() => undefined);
  }

  private queueOf(job: Job): Queue {
    const q = this.queues.get(job.version.spec.agent.type);
    if (!q) throw new Error(`no queue for agent type ${job.version.spec.agent.type}`);
    return q;
  }

  private pump(): void {
    while (!this.stopping && this.held.size - this.fifo.length < this.settings.concurrency && this.fifo.length) {
      const h = this.fifo.shift() as Held;
      h.state = 'queued';
      this.enqueue(h);
    }
  }

  /** Into Redis; when Redis is down the command waits in the client until it is back (the run is recorded already). */
  private enqueue(h: Held): void {
    const { job } = h;
    const { settings, ctx } = this;
    const q = this.queues.get(job.version.spec.agent.type);
    if (!q) return this.end(h, { status: 'failed', finishedAt: ctx.now(), errorKind: 'spawn-error', error: `agent type "${job.version.spec.agent.type}" has no queue` });
    const data: RunJobData = {
      id: job.id, connectorId: job.connectorId, attempt: job.attempt, trigger: job.trigger, scheduledFor: job.scheduledFor?.toISOString() ?? null,
      version: job.version, gitCommit: job.gitCommit, inputs: job.inputs, agentSettings: agentSettings(settings.hub, job.version.spec.agent.type),
      maxOutputBytes: settings.maxOutputBytes, killGraceMs: ctx.killGraceMs, enqueuedAt: Date.now(), replyTo: this.replyTo,
    };
    q.add('run', data, { jobId: job.id, removeOnComplete: KEEP_COMPLETED, removeOnFail: { age: 86_400 } })
      .catch((err: Error) => ctx.log.error({ run: job.id, err: err.message }, 'queueing a run failed; the next sweep queues it again'));
  }

  /** What a worker reported, in the order it reported it. */
  private apply(m: ResultMessage): void {
    const h = this.held.get(m.runId);
    if (m.kind === 'started') {
      if (!h || h.state === 'running') return;
      h.state = 'running';
      this.latencies.add(Date.parse(m.startedAt) - m.enqueuedAt);
      // The worker's clock against the hub's (its start time as it says it, less when the hub heard of it):
      // times of the run are the worker's, so an offset beyond the transport's few ms is worth recording.
      h.clockOffsetMs = Date.parse(m.startedAt) - this.ctx.now().getTime();
      sideRecord(this.ctx, `record the worker of ${m.runId}`, (db) => recordWorker(db, m.runId, { ...m.worker, clockOffsetMs: h.clockOffsetMs }));
      this.reports.start(m.runId, { startedAt: new Date(m.startedAt), renderedPrompt: m.renderedPrompt, argv: m.argv });
      return;
    }
    if (m.kind === 'events') {
      // Only for a run this hub holds and has seen start: the run id names the transcript's file.
      if (h?.state === 'running') for (const e of m.events) this.ctx.onEvent?.(m.runId, e);
      return;
    }
    if (!h) {
      // A stalled job run again, or a result after the run was recorded lost: never a second success or charge.
      sideRecord(this.ctx, `count a duplicate result of ${m.runId}`, (db) => recordDuplicate(db, m.runId));
      this.ctx.log.warn({ run: m.runId, worker: m.worker.name, status: m.finish.status }, 'a second result for a run already recorded was kept as a duplicate');
      return;
    }
    sideRecord(this.ctx, `record the worker of ${m.runId}`, (db) => recordWorker(db, m.runId, { ...m.worker, ...(h.clockOffsetMs !== undefined ? { clockOffsetMs: h.clockOffsetMs } : {}) }));
    const f = finishFromWire(m.finish);
    this.end(h, applyOutputs(this.ctx, f, m.outputs, expectedOutput(this.ctx.root, h.job, f.startedAt)));
  }

  /** BullMQ failed a job: its worker stopped renewing the lock (stalled) or crashed outside the run. */
  private lost(id: string, reason: string): void {
    const h = this.held.get(id);
    if (!h || h.state === 'hub') return;
    this.ctx.log.warn({ run: id, reason }, 'worker lost');
    this.end(h, { status: 'failed', finishedAt: this.ctx.now(), errorKind: 'worker-lost', error: `worker lost: ${WORKER_LOST} (${reason})` });
  }

  /** Catches what events missed (Redis was down, the hub restarted): failed jobs, and runs whose job never reached Redis. */
  private async sweep(): Promise<void> {
    for (const h of [...this.held.values()]) {
      if (h.state === 'hub' || this.held.get(h.job.id) !== h) continue;
      const q = this.queueOf(h.job);
      const state = await q.getJobState(h.job.id);
      if (state === 'failed') this.lost(h.job.id, (await q.getJob(h.job.id))?.failedReason ?? 'failed');
      else if (state === 'unknown' && h.state === 'queued') this.enqueue(h);
      else if (h.state === 'running' && (state === 'waiting' || state === 'prioritized')) this.lost(h.job.id, 'its lock expired: stalled');
      else if ((state === 'unknown' || state === 'completed') && ++h.missing >= 3) this.lost(h.job.id, `job ${state} in Redis with no result`);
    }
  }

  private end(h: Held, f: Finish): void {
    const { id } = h.job;
    if (this.held.get(id) !== h) return;
    this.held.delete(id);
    this.reports.finish(id, f);
    this.pump();
  }

}
