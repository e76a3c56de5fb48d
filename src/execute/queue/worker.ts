import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { Job as BullJob, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmq, ioredis } from './modules.js';
import type { ConnectorSpec } from '../../core/types.js';
import type { Finish } from '../../registry/executions.js';
import { findAgentType } from '../../agents/index.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { runAttempt } from '../attempt.js';
import { sweepRunCgroups } from '../cgroup.js';
import { agentVersion } from './agent-version.js';
import { worktreeAt } from './checkout.js';
import { connectionFor } from './connection.js';
import type { TranscriptEvent } from '../../agents/transcript.js';
import {
  RESULTS_QUEUE, cancelChannel, cancelKey, finishToWire, runQueue, workerKey,
  type ResultMessage, type RunJobData, type SavedOutput, type WorkerInfo,
} from './protocol.js';

const STOPPED = 'the worker stopped';

export interface QueueWorkerOptions {
  url: string;
  prefix: string;
  /** Runs at once, per agent type. */
  concurrency: number;
  /** The agent types this worker has: it takes jobs from their queues only. */
  agents: string[];
  /** A clone of the hub's repository: runs whose agent works in the repository run in a worktree of it. */
  repo?: string;
  name?: string;
  /** Where `${NAME}` references in agent.env are resolved: the worker's own environment. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** A run whose worker has not renewed its lock for this long is lost (BullMQ stalled-job detection). */
  lostAfterMs?: number;
  /** This machine's clock (a test sets one that is off, as a worker's can be). */
  now?: () => Date;
  heartbeatMs?: number;
}

/** Files and settings of the repository an agent uses: such a run needs the repository (--repo). */
function repoPaths(spec: ConnectorSpec): string[] {
  const a = spec.agent as ConnectorSpec['agent'] & { mcpConfig?: string; addDirs?: string[] };
  return [
    ...(a.cwd !== undefined ? [`agent.cwd "${a.cwd}"`] : []),
    ...(a.mcpConfig !== undefined ? [`agent.mcpConfig "${a.mcpConfig}"`] : []),
    ...(a.addDirs?.length ? [`agent.addDirs`] : []),
  ];
}

/**
 * `agent-hub worker`: takes run jobs for its agent types from Redis, runs each with the
 * same attempt code as the hub's local backend, and reports what to record back through
 * the results queue. It writes nothing the hub owns: saveTo content travels back.
 */
export class QueueWorker {
  readonly info: Omit<WorkerInfo, 'agentVersion'>;
  private readonly o: Required<Pick<QueueWorkerOptions, 'lostAfterMs' | 'heartbeatMs'>> & QueueWorkerOptions;
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly workers: Worker[] = [];
  /** Results queues by name: the hub's, and any `agent-hub run` in a terminal. */
  private readonly results = new Map<string, Queue>();
  private redis!: Redis;
  private subscriber!: Redis;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Runs this worker is running now, by run id. */
  private readonly running = new Map<string, AbortController>();
  private readonly startedAt = new Date();
  private stopping = false;

  constructor(o: QueueWorkerOptions) {
    this.o = { lostAfterMs: 30_000, heartbeatMs: 5000, ...o };
    this.log = o.log ?? silentLogger;
    this.env = o.env ?? process.env;
    this.info = { name: o.name ?? `${hostname()}-${process.pid}`, host: hostname(), pid: process.pid };
  }

  async start(): Promise<void> {
    sweepRunCgroups(this.log); // the empty ones a killed worker left: no run of this one has started yet
    const { url, prefix } = this.o;
    const connection = connectionFor(url);
    const { Redis } = ioredis();
    const { Worker } = bullmq();
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null });
    await this.subscriber.subscribe(cancelChannel(prefix));
    this.subscriber.on('message', (_channel: string, message: string) => this.cancelMessage(message));
    for (const type of this.o.agents) {
      const w = new Worker(runQueue(type), (job) => this.process(job as BullJob<RunJobData>), {
        connection, prefix, concurrency: this.o.concurrency, name: this.info.name,
        // A killed worker's run is failed at once (worker-lost), never taken again by BullMQ: retries are the hub's.
        maxStalledCount: 0, lockDuration: this.o.lostAfterMs, stalledInterval: Math.max(500, Math.round(this.o.lostAfterMs / 2)),
      });
      w.on('error', (err) => this.log.warn({ err: err.message }, 'queue connection problem; retrying'));
      this.workers.push(w);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), this.o.heartbeatMs);
    this.log.info({ worker: this.info.name, agents: this.o.agents, concurrency: this.o.concurrency }, 'worker started');
  }

  /** Runs now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Takes no more jobs, lets running ones finish for `graceMs`, then stops them (their
   * results, cancelled, still go back to the hub). Resolves when all have reported.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const closing = Promise.all(this.workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const c of this.running.values()) c.abort(STOPPED);
    await closing;
    clearInterval(this.heartbeat);
    await this.redis.del(workerKey(this.o.prefix, this.info.name)).catch(() => undefined);
    await Promise.all([...this.results.values()].map((q) => q.close()));
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private cancelMessage(message: string): void {
    try {
      const { runId, reason } = JSON.parse(message) as { runId: string; reason: string };
      this.running.get(runId)?.abort(reason);
    } catch {
      this.log.warn({ message: message.slice(0, 200) }, 'unreadable cancel message ignored');
    }
  }

  private async beat(): Promise<void> {
    const value = JSON.stringify({
      ...this.info, agents: this.o.agents, concurrency: this.o.concurrency, running: [...this.running.keys()],
      startedAt: this.startedAt.toISOString(), lastBeat: new Date().toISOString(),
    });
    await this.redis.set(workerKey(this.o.prefix, this.info.name), value, 'PX', this.o.heartbeatMs * 3);
  }

  private async send(replyTo: string, message: ResultMessage): Promise<void> {
    let q = this.results.get(replyTo);
    if (!q) {
      q = new (bullmq().Queue)(replyTo, { connection: connectionFor(this.o.url), prefix: this.o.prefix });
      q.on('error', () => undefined);
      this.results.set(replyTo, q);
    }
    await q.add(message.kind, message, { removeOnComplete: true, removeOnFail: 1000 });
  }

  private async process(job: BullJob<RunJobData>): Promise<void> {
    const d = job.data;
    const controller = new AbortController();
    this.running.set(d.id, controller);
    let cleanup: (() => Promise<void>) | undefined;
    const outputs: SavedOutput[] = [];
    const events: TranscriptEvent[] = [];
    let worker: WorkerInfo = { ...this.info, agentVersion: null };
    let sent: Promise<void> = Promise.resolve();
    let f: Finish;
    try {
      const type = d.version.spec.agent.type;
      const agent = findAgentType(type);
      const command = agent?.invocation(d.version.spec, { root: this.o.repo ?? tmpdir(), settings: d.agentSettings }).command;
      // Only a known agent CLI is asked its version: a `command` agent is the user's own program.
      worker = { ...this.info, agentVersion: type === 'claude' && command ? await agentVersion(command, this.env) : null };
      const cancelled = await this.redis.get(cancelKey(this.o.prefix, d.id));
      const needsRepo = repoPaths(d.version.spec);
      const refuse = (error: string): Finish => ({ status: 'failed', finishedAt: new Date(), errorKind: 'spawn-error', error });
      let root: string;
      if (cancelled !== null) {
        f = { status: 'failed', finishedAt: new Date(), errorKind: 'cancelled', error: cancelled };
      } else if (needsRepo.length && !this.o.repo) {
        f = refuse(`${needsRepo.join(', ')} needs the repository, and worker ${this.info.name} has none: start it with --repo <a clone of the hub's repository>`);
      } else if (needsRepo.length && !d.gitCommit) {
        f = refuse(`${needsRepo.join(', ')} needs the repository at the connector's commit, and the hub recorded none (its repository is not in git)`);
      } else {
        if (needsRepo.length) {
          const tree = await worktreeAt(this.o.repo as string, d.gitCommit as string);
          root = tree.dir;
          cleanup = tree.remove;
        } else if (!d.version.spec.output.saveTo) {
          root = tmpdir(); // nothing of the repository is read or written: no directory of its own needed
        } else {
          // saveTo is written here first, then sent to the hub, which writes and commits it.
          const scratch = mkdtempSync(path.join(tmpdir(), 'agent-hub-worker-'));
          root = scratch;
          cleanup = async () => rmSync(scratch, { recursive: true, force: true });
        }
        const at = root;
        f = await runAttempt({
          root: at, env: this.env, hub: { [type]: d.agentSettings }, maxOutputBytes: d.maxOutputBytes, killGraceMs: d.killGraceMs, now: this.o.now ?? (() => new Date()),
          onStart: (s) => {
            sent = sent.then(() => this.send(d.replyTo ?? RESULTS_QUEUE, { kind: 'started', runId: d.id, startedAt: s.startedAt.toISOString(), renderedPrompt: s.renderedPrompt, argv: s.argv, worker, enqueuedAt: d.enqueuedAt }));
          },
          onOutput: (rel) => outputs.push({ path: rel, content: readFileSync(path.join(at, rel), 'utf8') }),
          // Transcript events go to the hub in order, the events of one burst in one message.
          onEvent: (e) => {
            if (events.push(e) > 1) return;
            setImmediate(() => {
              const batch = events.splice(0);
              sent = sent.then(() => this.send(d.replyTo ?? RESULTS_QUEUE, { kind: 'events', runId: d.id, events: batch, worker }));
            });
          },
        }, {
          id: d.id, version: d.version, inputs: d.inputs, trigger: d.trigger, scheduledFor: d.scheduledFor ? new Date(d.scheduledFor) : null,
          attempt: d.attempt, signal: controller.signal,
        });
      }
    } catch (err) {
      this.log.error({ run: d.id, err: (err as Error).message }, 'run crashed on the worker');
      f = { status: 'failed', finishedAt: new Date(), errorKind: 'agent-error', error: `worker ${this.info.name}: ${(err as Error).message}` };
    } finally {
      await cleanup?.().catch(() => undefined);
    }
    if (this.stopping && f.errorKind === 'cancelled' && controller.signal.aborted && controller.signal.reason === STOPPED) {
      // Not the run's fault nor a person's cancel: the retry policy may run it again elsewhere.
      f = { ...f, errorKind: 'interrupted', retryable: true, error: `worker ${this.info.name} stopped before this run finished (its --grace ended)` };
    }
    await sent;
    await this.send(d.replyTo ?? RESULTS_QUEUE, { kind: 'finished', runId: d.id, finish: finishToWire(f), outputs, worker });
    this.running.delete(d.id);
    this.log.info({ run: d.id, connector: d.connectorId, status: f.status }, `run ${f.status}`);
  }
}
