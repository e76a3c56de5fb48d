import type { Db } from './db.js';
import { getConnector, listConnectors, listInvalidSources, type ConnectorRow } from './connectors.js';
import { describeSchedule, nextRun } from '../schedule/describe.js';
import { shortHash } from '../spec/hash.js';
import type { Diagnostic } from '../core/types.js';
import { NO_SKIPS, skipSummaries, skipSummary, type SkipSummary } from './skips.js';

export type ConnectorState = 'active' | 'disabled' | 'invalid' | 'removed';

/** A connector's state in one word, the way `kubectl get` shows a pod's. */
export function stateOf(c: ConnectorRow): ConnectorState {
  if (!c.active) return 'removed';
  if (c.lastError) return 'invalid';
  return c.version.spec.enabled ? 'active' : 'disabled';
}

/** What `status`, the API and the dashboard show of a connector. */
export interface ConnectorStatus {
  id: string;
  name: string;
  description: string | null;
  state: ConnectorState;
  schedule: string | null;
  timezone: string;
  scheduleText: string;
  nextRun: string | null;
  version: string;
  specHash: string;
  gitCommit: string | null;
  sourcePath: string;
  appliedAt: string | null;
  lastRun: { id: string; status: string; at: string } | null;
  lastError: Diagnostic[] | null;
  /** Scheduled slots that did not become runs (overlap, budget…): "why didn't it run?". */
  skipped: SkipSummary;
}

function lastRuns(db: Db): Map<string, { id: string; status: string; at: string }> {
  const rows = db.prepare(`SELECT e.connector_id, e.id, e.status, COALESCE(e.finished_at, e.started_at, e.created_at) AS at FROM executions e
    JOIN (SELECT connector_id, MAX(created_at) AS m FROM executions GROUP BY connector_id) last
      ON last.connector_id = e.connector_id AND last.m = e.created_at`).all() as Array<{ connector_id: string; id: string; status: string; at: string }>;
  return new Map(rows.map((r) => [r.connector_id, { id: r.id, status: r.status, at: r.at }]));
}

/** Every connector's status, next run computed from its schedule. */
export function connectorStatuses(db: Db, now = new Date()): ConnectorStatus[] {
  const runs = lastRuns(db);
  const skips = skipSummaries(db);
  return listConnectors(db).map((c) => toStatus(c, runs.get(c.id) ?? null, skips.get(c.id) ?? NO_SKIPS, now));
}

/** One connector's status, without computing everyone else's. */
export function connectorStatus(db: Db, id: string, now = new Date()): ConnectorStatus | undefined {
  const c = getConnector(db, id);
  if (!c) return undefined;
  const last = db.prepare(`SELECT id, status, COALESCE(finished_at, started_at, created_at) AS at FROM executions
    WHERE connector_id = ? ORDER BY created_at DESC LIMIT 1`).get(id) as { id: string; status: string; at: string } | undefined;
  return toStatus(c, last ?? null, skipSummary(db, id), now);
}

function toStatus(c: ConnectorRow, lastRun: ConnectorStatus['lastRun'], skipped: SkipSummary, now: Date): ConnectorStatus {
  const { spec } = c.version;
  const state = stateOf(c);
  const next = state === 'active' || state === 'invalid' ? nextRun(spec.schedule, spec.timezone, now) : null;
  return {
    id: c.id, name: spec.name ?? c.id, description: spec.description ?? null, state, schedule: spec.schedule ?? null, timezone: spec.timezone ?? 'UTC',
    scheduleText: describeSchedule(spec.schedule, spec.timezone), nextRun: next?.toISOString() ?? null,
    version: shortHash(c.specHash), specHash: c.specHash, gitCommit: c.gitCommit, sourcePath: c.sourcePath, appliedAt: c.appliedAt,
    lastRun, lastError: c.lastError, skipped,
  };
}

/** Files whose errors show on no connector (a new invalid file creates nothing). */
export function orphanInvalidFiles(db: Db, statuses: readonly ConnectorStatus[]) {
  return listInvalidSources(db).filter((s) => !statuses.some((r) => r.id === s.connectorId && r.state !== 'removed'));
}

/** The partials each connector's applied version uses, by name (their files count as its sources); of `ids` only, when given. */
export function partialsUsed(db: Db, ids?: readonly string[]): Map<string, string[]> {
  const only = ids ? ' AND c.id IN (SELECT value FROM json_each(?))' : '';
  const rows = db.prepare(`SELECT c.id, p.key AS name FROM connectors c, json_each(c.spec, '$.partials') p WHERE c.spec IS NOT NULL${only}`)
    .all(...(ids ? [JSON.stringify(ids)] : [])) as Array<{ id: string; name: string }>;
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.id, [...(out.get(r.id) ?? []), r.name]);
  return out;
}
