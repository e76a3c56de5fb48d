import type { ConnectorStatus } from '../registry/status.js';
import type { Execution, ExecutionStatus } from '../registry/executions.js';
import type { StorageProblem } from '../registry/storage.js';
import type { GitHealth } from '../gitstate/health.js';
import type { ConnectorSpec, Diagnostic } from '../core/types.js';
import type { HookAnswer, HookRequest } from '../events/intake.js';
import type { QueueView } from '../execute/backend.js';
import type { TranscriptEvent } from '../agents/transcript.js';
import type { Pause } from '../registry/pauses.js';
import type { DayStats, VersionRow } from '../registry/run-stats.js';

/**
 * Everything the HTTP API, the metrics endpoint and the dashboard need of a hub, and no
 * more: the server answers requests from this alone, so tests drive it without a port and
 * another kind of hub (a queue worker's coordinator) can stand behind it.
 */
export interface HubView {
  /** Up or degraded with the reasons; runs going and waiting; git state in a repository. */
  health(): HealthReport;
  /** Every connector with its next run as scheduled now, and invalid files that belong to none. */
  connectors(): ConnectorList;
  /** One connector with the spec and template of its applied version. */
  connector(id: string): ConnectorDetail | undefined;
  executions(filter: { connectorId?: string; status?: ExecutionStatus; limit: number }): Execution[];
  execution(id: string): Execution | undefined;
  /** A run's stored transcript (what has happened so far, for a running one); undefined when none is kept here. */
  transcript(id: string): TranscriptEvent[] | undefined;
  /** As transcript(), and else the committed file wherever state is committed (state.branch: from git). */
  committedTranscript(id: string): Promise<TranscriptEvent[] | undefined>;
  /** Live events of a run: each new one until it ends; returns the unsubscribe. */
  subscribe(id: string, listener: (e: TranscriptEvent) => void): () => void;
  /** Events of a running run held in memory after `seq` (when no transcript is stored). */
  liveSince(id: string, seq: number): TranscriptEvent[];
  /** True while a run is producing events. */
  isLive(id: string): boolean;
  /** Asks for a run now (an API trigger); never throws for a request a user got wrong. */
  run(connectorId: string, inputs: Record<string, unknown>): RunAnswer;
  /** Pauses a connector at runtime (who and why recorded); false when there is no such connector. */
  pause(id: string, by: string, reason: string | null): Pause | undefined;
  /** Ends a pause: the pause that ended, null when it was not paused, undefined for no such connector. */
  resume(id: string): Pause | null | undefined;
  /** For a connector's page: runs and cost per day, applied versions (newest first), the next runs. */
  history(id: string, days: number): { days: DayStats[]; versions: VersionRow[]; nextRuns: string[] };
  /** One page of runs, newest first, and how many match. */
  runsPage(filter: { connectorId?: string; status?: string; trigger?: string; limit: number; offset: number }): { runs: Execution[]; total: number };
  /** Cost per connector and UTC day. */
  costs(days: number): Map<string, Map<string, number>>;
  /** The state commit that recorded a run, once there is one. */
  recordCommit(id: string): Promise<{ sha: string; at: string; subject: string } | null>;
  /** A reconcile through the hub's one queue, summarised. */
  reconcile(): Promise<ReconcileSummary>;
  /** The Prometheus exposition. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** A webhook delivery (POST /hooks/…): checked, deduplicated, turned into runs; absent where the hub takes none. */
  hook?(req: HookRequest): HookAnswer;
  /** Where runs execute: the queue's workers, depth and latency; `local` without a queue. */
  workers?(): Promise<QueueView | { type: 'local' }>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  reasons: string[];
  storage: (StorageProblem & { unrecordedRuns: number }) | null;
  running: number;
  queued: number;
  /** Only in a git repository. */
  git?: GitHealth;
}

/** A connector as the server shows it: its status, and the runtime pause that overrides git, if any. */
export type ConnectorView = ConnectorStatus & { paused: Pause | null };

export interface ConnectorList {
  connectors: ConnectorView[];
  invalidFiles: Array<{ path: string; connectorId: string | null; diagnostics: Diagnostic[] }>;
}

export type ConnectorDetail = ConnectorView & { spec: ConnectorSpec | undefined; template: string | undefined };

/** What became of a run request: each maps to one HTTP answer. */
export type RunAnswer =
  | { status: 'queued'; id: string }
  /** Recorded as failed at once (the daily budget is spent). */
  | { status: 'failed'; id: string; reason: string; message: string }
  | { status: 'refused'; reason: 'overlap' | 'duplicate-slot' | 'stopping' | 'storage' | 'paused'; message: string }
  /** No such connector, or inputs that do not fit its declaration. */
  | { status: 'invalid'; notFound: boolean; message: string; details: string[] };

/** What `POST /api/reconcile` answers. */
export interface ReconcileSummary {
  applied: boolean;
  counts: Record<string, number>;
  durationMs: number;
  blocking: Diagnostic[];
  invalid: Array<{ file: string; diagnostics: Diagnostic[] }>;
}
