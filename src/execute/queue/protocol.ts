import type { ConnectorVersion } from '../../core/types.js';
import type { Finish, Trigger } from '../../registry/executions.js';
import type { AgentSettings } from '../../agents/types.js';
import type { TranscriptEvent } from '../../agents/transcript.js';

/**
 * What travels between the hub and its workers through Redis. The hub is the only writer
 * of the registry and git: a worker takes a run job, runs it, and sends back messages the
 * hub records. Nothing here carries a resolved secret: `${NAME}` in agent.env stays a
 * reference, resolved from the worker's own environment.
 */

export const DEFAULT_PREFIX = 'agent-hub';
/** The queue a run of this agent type waits in: a worker takes only its own types. */
export const runQueue = (agentType: string): string => `run-${agentType}`;
/** Where workers send what they report (started, finished): the hub reads it, in order. */
export const RESULTS_QUEUE = 'results';
/** Where the hub tells workers to stop a run (`concurrency: replace`, a cancel from the API). */
export const cancelChannel = (prefix: string): string => `${prefix}:cancel`;
/** A cancel waiting for a worker that has not begun the run yet; it expires on its own. */
export const cancelKey = (prefix: string, runId: string): string => `${prefix}:cancel:${runId}`;
/** One key per live worker, refreshed by its heartbeat and expiring when it stops beating. */
export const workerKey = (prefix: string, name: string): string => `${prefix}:workers:${name}`;
export const WORKER_KEYS = (prefix: string): string => `${prefix}:workers:*`;
/** The failure recorded when the worker running a run stopped answering (killed, lost its network). */
export const WORKER_LOST = 'the worker running this run stopped answering (killed, crashed or cut off from Redis)';

/** One run attempt as a worker receives it. The job id is the run id: one attempt is queued once. */
export interface RunJobData {
  id: string;
  connectorId: string;
  attempt: number;
  trigger: Trigger;
  scheduledFor: string | null;
  version: ConnectorVersion;
  /** The commit the connector came from: a worker with --repo runs a cwd inside the repository there. */
  gitCommit: string | null;
  inputs: Record<string, unknown>;
  /** hub.yaml's section for this agent type (`claude: { command }`), and the output limits. */
  agentSettings: AgentSettings;
  maxOutputBytes: number;
  killGraceMs: number;
  /** When the hub queued it (ms since the epoch): enqueue-to-start latency. */
  enqueuedAt: number;
  /** The results queue to report to: the hub's own, or that of an `agent-hub run` in a terminal. */
  replyTo: string;
}

/** Who ran a run: recorded on it, shown in status and the API. */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  /** The agent CLI's `--version`, as this worker found it (null when it could not be read). */
  agentVersion: string | null;
}

/** A saveTo output: the worker sends the content; the hub writes and commits it. */
export interface SavedOutput {
  path: string;
  content: string;
}

type WireFinish = Omit<Finish, 'finishedAt' | 'startedAt'> & { finishedAt: string; startedAt?: string };

export type ResultMessage =
  | { kind: 'started'; runId: string; startedAt: string; renderedPrompt: string; argv: string[]; worker: WorkerInfo; enqueuedAt: number }
  | { kind: 'finished'; runId: string; finish: WireFinish; outputs: SavedOutput[]; worker: WorkerInfo }
  /** Transcript events as the run makes them (already redacted on the worker), in order, a burst at a time. */
  | { kind: 'events'; runId: string; events: TranscriptEvent[]; worker: WorkerInfo };

export function finishToWire(f: Finish): WireFinish {
  const { finishedAt, startedAt, ...rest } = f;
  return { ...rest, finishedAt: finishedAt.toISOString(), ...(startedAt ? { startedAt: startedAt.toISOString() } : {}) };
}

export function finishFromWire(w: WireFinish): Finish {
  const { finishedAt, startedAt, ...rest } = w;
  return { ...rest, finishedAt: new Date(finishedAt), ...(startedAt ? { startedAt: new Date(startedAt) } : {}) };
}
