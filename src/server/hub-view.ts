import type { Hub } from '../hub.js';
import { RunRequestError } from '../execute/executor.js';
import { getExecution, listExecutions } from '../registry/executions.js';
import { connectorStatus, connectorStatuses, orphanInvalidFiles, stateOf } from '../registry/status.js';
import { getConnector, listConnectors } from '../registry/connectors.js';
import { skipCounts } from '../registry/skips.js';
import { outboxCounts, runDeliveries } from '../registry/outbox.js';
import { deliverySummaries } from '../deliver/format.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { readLocalTranscript, readTranscript } from '../gitstate/transcript-read.js';
import { getPause, listPauses, pauseConnector, resumeConnector } from '../registry/pauses.js';
import { connectorVersions, costByConnectorDay, dailyStats, pageOfRuns } from '../registry/run-stats.js';
import { nextRuns } from '../schedule/next-runs.js';
import { runCommit } from '../gitstate/run-commit.js';
import type { HubMetrics, MetricsSource } from './metrics.js';
import type { QueueView } from '../execute/backend.js';
import type { HubView, ReconcileSummary, RunAnswer } from './view.js';

/** The server's view of a running hub: reads from its registry, runs and reconciles through it. */
export function hubView(hub: Hub, metrics: HubMetrics): HubView {
  // The scheduler's armed slot, where there is one: what will actually fire.
  const nextRun = (id: string, stored: string | null) => hub.scheduler.nextRun(id)?.toISOString() ?? stored;
  return {
    health() {
      const git = hub.inGit ? hub.gitState.health() : undefined;
      return { ...hub.health(), running: hub.executor.active, queued: hub.executor.queued, ...(git ? { git } : {}) };
    },
    connectors() {
      const pauses = listPauses(hub.db);
      const connectors = connectorStatuses(hub.db).map((c) => ({ ...c, nextRun: nextRun(c.id, c.nextRun), paused: pauses.get(c.id) ?? null }));
      return { connectors, invalidFiles: orphanInvalidFiles(hub.db, connectors) };
    },
    connector(id) {
      const c = connectorStatus(hub.db, id);
      if (!c) return undefined;
      const row = getConnector(hub.db, c.id);
      return { ...c, nextRun: nextRun(c.id, c.nextRun), paused: getPause(hub.db, c.id) ?? null, spec: row?.version.spec, template: row?.version.template };
    },
    executions: (filter) => listExecutions(hub.db, filter),
    execution: (id) => {
      const e = getExecution(hub.db, id);
      const deliveries = e ? runDeliveries(hub.db, e.id) : [];
      return e && deliveries.length ? { ...e, deliveries: deliverySummaries(deliveries) } as typeof e : e;
    },
    workers: async () => (await hub.executor.backend.queueView?.()) ?? { type: 'local' },
    transcript(id) {
      const e = getExecution(hub.db, id);
      return e && readLocalTranscript(hub.root, hub.config, e);
    },
    async committedTranscript(id) {
      const e = getExecution(hub.db, id);
      return e && readTranscript(hub.root, hub.config, e);
    },
    subscribe: (id, listener) => hub.live.subscribe(id, listener),
    liveSince: (id, seq) => hub.live.since(id, seq),
    isLive: (id) => hub.live.live(id),
    run(connectorId, inputs): RunAnswer {
      try {
        return hub.run(connectorId, inputs, 'api');
      } catch (err) {
        if (err instanceof RunRequestError) return { status: 'invalid', notFound: err.code === 'not-found', message: err.message, details: err.details };
        throw err;
      }
    },
    pause(id, by, reason) {
      if (!getConnector(hub.db, id)) return undefined;
      pauseConnector(hub.db, { connectorId: id, by, at: new Date(), reason });
      return getPause(hub.db, id);
    },
    resume(id) {
      if (!getConnector(hub.db, id)) return undefined;
      return resumeConnector(hub.db, id) ?? null;
    },
    history(id, days) {
      const spec = getConnector(hub.db, id)?.version.spec;
      return {
        days: dailyStats(hub.db, id, days), versions: connectorVersions(hub.db, id),
        nextRuns: spec?.enabled ? nextRuns(spec.schedule, spec.timezone, 5).map((d) => d.toISOString()) : [],
      };
    },
    runsPage(filter) {
      const { ids, total } = pageOfRuns(hub.db, filter);
      return { runs: ids.map((id) => getExecution(hub.db, id)).filter((e) => e !== undefined), total };
    },
    costs: (days) => costByConnectorDay(hub.db, days),
    recordCommit: (id) => (hub.inGit ? runCommit(hub.root, hub.gitState.target, id) : Promise.resolve(null)),
    reconcile: () => hub.reconcile('api').then(summary),
    hook: (req) => hub.events.intake.handle(req),
    async metrics() {
      return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
    },
  };
}

/** What the metrics read of a hub, and the events they count. */
export function metricsSource(hub: Hub): MetricsSource {
  return {
    counts: () => ({ queued: hub.executor.queued, active: hub.executor.active, unrecordedRuns: hub.executor.unrecordedRuns }),
    health: () => ({ degraded: hub.health().status === 'degraded', storageFailing: Boolean(hub.storage.problem) }),
    connectorStates: () => listConnectors(hub.db).map(stateOf),
    skipCounts: () => skipCounts(hub.db),
    ...(hub.inGit ? { git: { health: () => hub.gitState.health(), onCommitted: (listener: () => void) => hub.gitState.onCommitted(listener) } } : {}),
    onFinished: (listener) => hub.executor.onFinished(listener),
    events: { hooks: () => hub.events.intake.counts, outbox: () => outboxCounts(hub.db) },
    ...(hub.executor.backend.queueView ? { queue: () => hub.executor.backend.queueView?.() as Promise<QueueView> } : {}),
    onReconciled: (listener) => hub.onReconciled((p) => listener({ seconds: p.seconds, invalidFiles: p.result?.plan.counts.invalid ?? 0, failed: p.error !== undefined })),
  };
}

function summary(r: ReconcileResult): ReconcileSummary {
  return {
    applied: r.applied, counts: r.plan.counts, durationMs: Math.round(r.durationMs), blocking: r.blocking,
    invalid: r.plan.actions.filter((a) => a.kind === 'invalid').map((a) => ({ file: a.file.path, diagnostics: a.file.diagnostics })),
  };
}
