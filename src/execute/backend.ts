import type { ConnectorVersion } from '../core/types.js';
import type { RunEvent } from '../core/events.js';
import type { Finish, Trigger } from '../registry/executions.js';
import type { HubConfig } from '../spec/hub-config.js';
import type { Logger } from '../log/logger.js';
import type { AgentProcess } from './process.js';
import type { Db } from '../registry/db.js';
import type { TranscriptEvent } from '../agents/transcript.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;

/**
 * One attempt of a recorded run, as the hub hands it to a backend. The hub has recorded it
 * and decided it may run (overlap, budget); a backend only runs it. The id is the run id
 * of this attempt (each retry is its own row), so one job is never run under two names.
 */
export interface Job {
  id: string;
  connectorId: string;
  attempt: number;
  trigger: Trigger;
  scheduledFor: Date | null;
  version: ConnectorVersion;
  /** The commit the connector version came from (a remote worker checks the repository out there). */
  gitCommit: string | null;
  /** Inputs with defaults applied. No secret is resolved into a job: `${NAME}` in agent.env is resolved where the agent runs. */
  inputs: Record<string, unknown>;
  /** The event the run started on (its template's `event`); absent for other triggers. */
  event?: RunEvent;
}

/** What a started run records, already redacted. */
export interface JobStart {
  startedAt: Date;
  renderedPrompt: string;
  argv: string[];
  /** What finds the agent again after a crash of the hub (a run in this process): recorded in the same write. */
  agentProcess?: AgentProcess;
}

/** The hub.yaml settings a backend runs with; configure() takes new ones without a restart. */
export interface RunSettings {
  /** Jobs running at once, over the whole backend. */
  concurrency: number;
  /** hub.yaml as a whole: each agent type reads its own section (`claude: { command }`). */
  hub: HubConfig;
  maxOutputBytes: number;
}

export function runSettings(hub: HubConfig | undefined): RunSettings {
  return {
    concurrency: hub?.concurrency ?? DEFAULT_CONCURRENCY,
    hub: hub ?? {},
    maxOutputBytes: hub?.defaults?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
}

/**
 * Runs jobs the hub decided on and reports back; it records nothing and decides nothing
 * (the hub is the single writer and owns overlap, budget and retries). Promises every
 * implementation keeps (test/execute/backend-conformance.ts checks them):
 * - at most `concurrency` jobs run at once; the others wait in submission order;
 * - every submitted job is reported finished exactly once: it ran, was cancelled while
 *   waiting, or was drained by stop(); `started` comes before `finished`, at most once;
 * - a job id already held is not taken twice.
 */
export interface ExecutionBackend {
  /** Takes a job; it starts when a slot is free. */
  submit(job: Job): void;
  /**
   * Cancels a waiting job (finished at once, `error` = reason) or a running one (its agent
   * is stopped; `error` = `cancelled: <reason>`). False when the backend does not hold it.
   */
  cancel(id: string, reason: string): boolean;
  /** New run settings; a higher limit starts waiting jobs at once, a lower one lets running jobs finish. */
  configure(settings: RunSettings): void;
  /** Jobs waiting for a slot and jobs running now. */
  counts(): { queued: number; running: number };
  /** Called when a job's agent is about to start. */
  onStarted(listener: (id: string, start: JobStart) => void): void;
  /** Called once per job when it is over, with what to record. */
  onFinished(listener: (id: string, finish: Finish) => void): void;
  /**
   * Takes no more jobs: waiting ones finish as cancelled, running ones get `graceMs`, then
   * are cancelled. Resolves when every job has reported finished.
   */
  stop(graceMs: number): Promise<void>;
  /** A run a previous hub process handed over and that may still run elsewhere (a queue backend); its result is still to come. */
  adopt?(job: Job, started: boolean): void;
  /** Why runs cannot be handed out now (the queue's Redis is unreachable), or null. */
  health?(): string | null;
  /** Workers, queue depth and latency, for a backend with workers elsewhere. */
  queueView?(): Promise<QueueView>;
}

/** A live worker as its last heartbeat tells it. */
export interface WorkerView {
  name: string;
  host: string;
  pid: number;
  agents: string[];
  concurrency: number;
  /** Run ids it runs now. */
  running: string[];
  startedAt: string;
  lastBeat: string;
}

/** What `GET /api/workers`, `status` and /metrics show of a queue backend. */
export interface QueueView {
  type: 'bullmq';
  /** Without its password. */
  url: string;
  prefix: string;
  reachable: boolean;
  /** Jobs waiting in Redis for a worker, per agent type. */
  waiting: Record<string, number>;
  workers: WorkerView[];
  /** Enqueue-to-start latency of recent runs, ms (null before any). */
  enqueueToStartMs: { p50: number | null; p95: number | null; count: number };
}

/** What the hub gives a backend it makes. */
export interface BackendContext {
  root: string;
  /** The hub's environment, where `${NAME}` references are looked up. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  now: () => Date;
  /** Between SIGTERM and SIGKILL when an agent is stopped. */
  killGraceMs: number;
  settings: RunSettings;
  /** Told the repository-relative path of every saveTo output written. */
  onOutput?: (path: string) => void;
  /** Files connectors read (prompt files, MCP configs), which no output may replace. */
  filesReadByConnectors?: () => ReadonlyMap<string, string>;
  /** The registry, for what a backend records beside the executor (the worker that ran a run). */
  db?: Db;
  /** Each transcript event of a job as it happens (already redacted): stored and streamed live by the hub. */
  onEvent?: (id: string, e: TranscriptEvent) => void;
}

export type BackendMaker = (ctx: BackendContext) => ExecutionBackend;
