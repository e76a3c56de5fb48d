import type { Db } from './db.js';

/** One day of a connector's runs (UTC day of creation). */
export interface DayStats {
  day: string;
  runs: number;
  success: number;
  failed: number;
  costUsd: number;
}

/** The last `days` days, oldest first, every day present (zeros when nothing ran). */
export function dailyStats(db: Db, connectorId: string | null, days: number, now = new Date()): DayStats[] {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days + 1));
  const rows = db.prepare(`SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS runs, SUM(status = 'success') AS success,
      SUM(status = 'failed') AS failed, COALESCE(SUM(cost_usd), 0) AS costUsd
    FROM executions WHERE created_at >= ? ${connectorId ? 'AND connector_id = ?' : ''} GROUP BY day`)
    .all(...[start.toISOString(), ...(connectorId ? [connectorId] : [])]) as DayStats[];
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, runs: 0, success: 0, failed: 0, costUsd: 0 };
  });
}

/** Cost per connector and UTC day over the last `days` days: connector → day → dollars. */
export function costByConnectorDay(db: Db, days: number, now = new Date()): Map<string, Map<string, number>> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days + 1));
  const rows = db.prepare(`SELECT connector_id AS id, substr(created_at, 1, 10) AS day, COALESCE(SUM(cost_usd), 0) AS cost
    FROM executions WHERE created_at >= ? GROUP BY connector_id, day`).all(start.toISOString()) as Array<{ id: string; day: string; cost: number }>;
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) out.set(r.id, (out.get(r.id) ?? new Map<string, number>()).set(r.day, r.cost));
  return out;
}

/** A version of a connector as applied: newest first. */
export interface VersionRow {
  specHash: string;
  sourcePath: string;
  gitCommit: string | null;
  appliedAt: string;
}

export function connectorVersions(db: Db, connectorId: string, limit = 20): VersionRow[] {
  return db.prepare(`SELECT spec_hash AS specHash, source_path AS sourcePath, git_commit AS gitCommit, applied_at AS appliedAt
    FROM connector_versions WHERE connector_id = ? ORDER BY applied_at DESC LIMIT ?`).all(connectorId, limit) as VersionRow[];
}

/** Runs of one page, newest first, with how many match in all. */
export function pageOfRuns(db: Db, f: { connectorId?: string; status?: string; trigger?: string; limit: number; offset: number }): { ids: string[]; total: number } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.connectorId) (where.push('connector_id = ?'), params.push(f.connectorId));
  if (f.status) (where.push('status = ?'), params.push(f.status));
  if (f.trigger) (where.push('trigger = ?'), params.push(f.trigger));
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM executions ${clause}`).get(...params) as { n: number }).n;
  const ids = (db.prepare(`SELECT id FROM executions ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...params, f.limit, f.offset) as Array<{ id: string }>).map((r) => r.id);
  return { ids, total };
}
