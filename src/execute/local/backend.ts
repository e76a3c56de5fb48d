import type { Finish } from '../../registry/executions.js';
import { runAttempt } from '../attempt.js';
import type { BackendContext, ExecutionBackend, Job, JobStart, RunSettings } from '../backend.js';
import { JobReports } from '../listeners.js';

interface Held {
  job: Job;
  controller: AbortController;
}

/**
 * Runs jobs in this process: a FIFO queue and at most `concurrency` agents at once, each
 * a child process group of the hub (see attempt.ts). What to record is reported back.
 */
export class LocalBackend implements ExecutionBackend {
  private settings: RunSettings;
  private readonly queue: Held[] = [];
  /** The ids of the jobs in `queue`: a job submitted twice is told at once, however long the queue. */
  private readonly queuedIds = new Set<string>();
  private readonly running = new Map<string, Held>();
  private readonly reports: JobReports;
  private stopping = false;

  constructor(private readonly ctx: BackendContext) {
    this.settings = ctx.settings;
    this.reports = new JobReports(ctx.log);
  }

  submit(job: Job): void {
    if (this.running.has(job.id) || this.queuedIds.has(job.id)) {
      this.ctx.log.warn({ run: job.id }, 'job submitted twice; the one held already stands');
      return;
    }
    const held = { job, controller: new AbortController() };
    if (this.stopping) return this.end(held, this.cancelled('the hub stopped before this run started'));
    this.queue.push(held);
    this.queuedIds.add(job.id);
    this.pump();
  }

  cancel(id: string, reason: string): boolean {
    const queued = this.queuedIds.has(id) ? this.queue.findIndex((h) => h.job.id === id) : -1;
    if (queued >= 0) {
      const [held] = this.queue.splice(queued, 1);
      this.queuedIds.delete(id);
      this.end(held as Held, this.cancelled(reason));
      return true;
    }
    const running = this.running.get(id);
    if (!running) return false;
    running.controller.abort(reason);
    return true;
  }

  configure(settings: RunSettings): void {
    this.settings = settings;
    this.pump();
  }

  counts(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running.size };
  }

  onStarted(listener: (id: string, start: JobStart) => void): void {
    this.reports.onStarted(listener);
  }

  onFinished(listener: (id: string, finish: Finish) => void): void {
    this.reports.onFinished(listener);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.queuedIds.clear();
    for (const held of this.queue.splice(0)) this.end(held, this.cancelled('the hub stopped before this run started'));
    const all = this.reports.finishOf(this.running.keys());
    if (!all.length) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(all), graceOver]);
    clearTimeout(timer);
    for (const held of this.running.values()) held.controller.abort('the hub stopped');
    await Promise.all(all);
  }

  private cancelled(error: string): Finish {
    return { status: 'failed', finishedAt: this.ctx.now(), errorKind: 'cancelled', error };
  }

  private pump(): void {
    while (this.running.size < this.settings.concurrency && this.queue.length) {
      const held = this.queue.shift() as Held;
      this.queuedIds.delete(held.job.id);
      this.running.set(held.job.id, held);
      void this.execute(held);
    }
  }

  private async execute(held: Held): Promise<void> {
    const { ctx, settings } = this;
    const { job } = held;
    let f: Finish;
    try {
      f = await runAttempt({
        root: ctx.root, env: ctx.env, hub: settings.hub, maxOutputBytes: settings.maxOutputBytes, killGraceMs: ctx.killGraceMs, now: ctx.now,
        ...(ctx.onOutput ? { onOutput: ctx.onOutput } : {}),
        ...(ctx.filesReadByConnectors ? { filesReadByConnectors: ctx.filesReadByConnectors } : {}),
        ...(ctx.onEvent ? { onEvent: (e) => ctx.onEvent?.(job.id, e) } : {}),
        onStart: (fields) => this.reports.start(job.id, fields),
      }, {
        id: job.id, version: job.version, inputs: job.inputs, trigger: job.trigger, scheduledFor: job.scheduledFor, attempt: job.attempt, signal: held.controller.signal, ...(job.event ? { event: job.event } : {}),
      });
    } catch (err) {
      // A bug here must still end the job with a record, never leave it "running".
      ctx.log.error({ run: job.id, err }, 'run crashed');
      f = { status: 'failed', finishedAt: ctx.now(), errorKind: 'agent-error', error: `internal error: ${(err as Error)?.message ?? String(err)}` };
    }
    this.end(held, f);
  }

  /** A job is over: its slot is free, the hub is told, and the next job starts. */
  private end(held: Held, f: Finish): void {
    const { id } = held.job;
    this.running.delete(id);
    this.reports.finish(id, f);
    this.pump();
  }

}
