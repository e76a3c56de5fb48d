import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Execution } from '../registry/executions.js';
import type { ConnectorState } from '../registry/status.js';
import type { SkipReason } from '../registry/skips.js';
import type { GitHealth } from '../gitstate/health.js';
import type { QueueView } from '../execute/backend.js';
import { registerQueueMetrics } from './queue-metrics.js';

/** What the metrics read of a hub, and the events they count; hub-view.ts adapts a Hub to it. */
export interface MetricsSource {
  counts(): { queued: number; active: number; unrecordedRuns: number };
  /** Degraded for any reason (storage, git), and whether storage itself is failing. */
  health(): { degraded: boolean; storageFailing: boolean };
  connectorStates(): ConnectorState[];
  skipCounts(): Array<{ connectorId: string; reason: SkipReason; count: number }>;
  /** Only in a git repository. */
  git?: { health(): GitHealth; onCommitted(listener: () => void): void };
  onFinished(listener: (e: Execution) => void): void;
  onReconciled(listener: (pass: { seconds: number; invalidFiles: number; failed: boolean }) => void): void;
  /** Hook answers by `source|outcome` (src/events/intake.ts), and deliveries by status. */
  events?: { hooks(): ReadonlyMap<string, number>; outbox(): Record<string, number> };
  /** With a queue backend: its workers, depth and latency. */
  queue?: () => Promise<QueueView>;
}

/** The hub's Prometheus metrics, fed by the executor, the reconciler and the git writer. */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({ name: 'agent_hub_runs_total', help: 'Finished runs by connector and status', labelNames: ['connector', 'status', 'error_kind'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'agent_hub_run_duration_seconds', help: 'Run duration', labelNames: ['connector'], buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800], registers: [this.registry] });
  private readonly cost = new Counter({ name: 'agent_hub_run_cost_usd_total', help: 'Dollars spent by runs', labelNames: ['connector'], registers: [this.registry] });
  private readonly tokens = new Counter({ name: 'agent_hub_tokens_total', help: 'Tokens used by runs', labelNames: ['connector', 'kind'], registers: [this.registry] });
  private readonly reconcileSeconds = new Histogram({ name: 'agent_hub_reconcile_duration_seconds', help: 'Reconcile duration', buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: [this.registry] });
  private readonly reconcileErrors = new Counter({ name: 'agent_hub_reconcile_errors_total', help: 'Reconciles that failed, or found invalid files', labelNames: ['reason'], registers: [this.registry] });
  private readonly lastCommit = new Gauge({ name: 'agent_hub_last_successful_commit_timestamp_seconds', help: 'When state was last committed', registers: [this.registry] });

  constructor(hub: MetricsSource) {
    // Event-loop lag sampled every 200 ms, not 10: an idle hub should sleep.
    collectDefaultMetrics({ register: this.registry, prefix: 'agent_hub_', eventLoopMonitoringPrecision: 200 });
    new Gauge({ name: 'agent_hub_queue_depth', help: 'Runs waiting for a free slot', registers: [this.registry], collect() { this.set(hub.counts().queued); } });
    new Gauge({ name: 'agent_hub_running_runs', help: 'Runs executing now', registers: [this.registry], collect() { this.set(hub.counts().active); } });
    new Gauge({ name: 'agent_hub_degraded', help: 'Whether the hub is degraded (storage cannot be written, a git operation keeps failing); /healthz says why', registers: [this.registry], collect() { this.set(hub.health().degraded ? 1 : 0); } });
    new Gauge({ name: 'agent_hub_storage_failing', help: 'Whether writes fail for lack of space or an I/O error (the reason is in /healthz and the log)', registers: [this.registry], collect() { this.set(hub.health().storageFailing ? 1 : 0); } });
    new Gauge({ name: 'agent_hub_unrecorded_runs', help: 'Finished runs kept in memory until their record can be written', registers: [this.registry], collect() { this.set(hub.counts().unrecordedRuns); } });
    new Gauge({
      name: 'agent_hub_connectors', help: 'Connectors by state', labelNames: ['state'], registers: [this.registry],
      collect() {
        const counts: Record<string, number> = { active: 0, disabled: 0, invalid: 0, removed: 0 };
        for (const state of hub.connectorStates()) counts[state] = (counts[state] ?? 0) + 1;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Counter({
      name: 'agent_hub_skipped_runs_total', help: 'Scheduled slots that did not become runs, by connector and reason (overlap, budget, stopping, error)',
      labelNames: ['connector', 'reason'], registers: [this.registry],
      // Read from the registry, where skips are counted: the count survives restarts of the hub.
      collect() {
        this.reset();
        for (const s of hub.skipCounts()) this.inc({ connector: s.connectorId, reason: s.reason }, s.count);
      },
    });
    const events = hub.events;
    if (events) {
      new Counter({
        name: 'agent_hub_hook_requests_total', help: 'Webhook deliveries by source (github, webhook) and outcome (accepted, ignored, bad-signature, replay, too-large, rate-limited…)',
        labelNames: ['source', 'outcome'], registers: [this.registry],
        collect() {
          this.reset();
          for (const [key, n] of events.hooks()) {
            const [source, outcome] = key.split('|');
            this.inc({ source: source as string, outcome: outcome as string }, n);
          }
        },
      });
      new Gauge({
        name: 'agent_hub_deliveries', help: 'Deliveries in the outbox by status (pending, sending, sent, failed)', labelNames: ['status'], registers: [this.registry],
        collect() {
          const counts = events.outbox();
          for (const status of ['pending', 'sending', 'sent', 'failed']) this.set({ status }, counts[status] ?? 0);
        },
      });
    }
    const repo = hub.git;
    if (repo) {
      const git = () => repo.health();
      new Gauge({ name: 'agent_hub_git_pending_files', help: 'Run records and outputs written but not committed yet', registers: [this.registry], collect() { this.set(git().pending); } });
      new Gauge({
        name: 'agent_hub_git_failing', help: 'Whether the last attempt of a git operation (commit, push, pull) failed', labelNames: ['operation'], registers: [this.registry],
        collect() {
          const { failing } = git();
          for (const operation of ['commit', 'push', 'pull'] as const) this.set({ operation }, failing[operation] ? 1 : 0);
        },
      });
      new Gauge({
        name: 'agent_hub_last_successful_push_timestamp_seconds', help: 'When state was last pushed', registers: [this.registry],
        collect() {
          const at = git().lastPushAt;
          if (at) this.set(Date.parse(at) / 1000);
        },
      });
    }
    if (hub.queue) registerQueueMetrics(this.registry, hub.queue);
    repo?.onCommitted(() => this.lastCommit.setToCurrentTime());
    hub.onFinished((e) => this.recordRun(e));
    hub.onReconciled((p) => this.recordReconcile(p.seconds, p.invalidFiles, p.failed));
  }

  recordRun(e: Execution): void {
    this.runs.inc({ connector: e.connectorId, status: e.status, error_kind: e.errorKind ?? '' });
    if (e.durationMs !== null) this.duration.observe({ connector: e.connectorId }, e.durationMs / 1000);
    if (e.costUsd) this.cost.inc({ connector: e.connectorId }, e.costUsd);
    const usage = (e.usage?.usage ?? null) as { input_tokens?: number; output_tokens?: number } | null;
    if (usage?.input_tokens) this.tokens.inc({ connector: e.connectorId, kind: 'input' }, usage.input_tokens);
    if (usage?.output_tokens) this.tokens.inc({ connector: e.connectorId, kind: 'output' }, usage.output_tokens);
  }

  recordReconcile(seconds: number, invalidFiles: number, failed: boolean): void {
    this.reconcileSeconds.observe(seconds);
    if (failed) this.reconcileErrors.inc({ reason: 'error' });
    if (invalidFiles) this.reconcileErrors.inc({ reason: 'invalid-files' }, invalidFiles);
  }
}
