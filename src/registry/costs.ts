import type { Db } from './db.js';

/** How many of a connector's newest runs with a cost its median is taken over. */
export const COST_SAMPLE = 100;

/**
 * Each connector's median cost per run over its newest finished runs (successful or failed)
 * that recorded a cost, and how many runs that is; connectors with none are absent. A run is
 * its first attempt and its retries (linked by parent_id): what a scheduled slot costs.
 */
export function medianCosts(db: Db, connectorIds: readonly string[]): Map<string, { medianUsd: number; runs: number }> {
  const out = new Map<string, { medianUsd: number; runs: number }>();
  if (connectorIds.length === 0) return out;
  const rows = db.prepare(`
    SELECT connector_id AS id, total FROM (
      SELECT connector_id, SUM(cost_usd) AS total,
        ROW_NUMBER() OVER (PARTITION BY connector_id ORDER BY MIN(created_at) DESC, COALESCE(parent_id, id) DESC) AS n
      FROM executions
      WHERE status IN ('success', 'failed') AND cost_usd IS NOT NULL AND connector_id IN (${connectorIds.map(() => '?').join(',')})
      GROUP BY connector_id, COALESCE(parent_id, id)
    ) WHERE n <= ? ORDER BY connector_id, total`).all(...connectorIds, COST_SAMPLE) as Array<{ id: string; total: number }>;
  const byId = new Map<string, number[]>();
  for (const r of rows) {
    const list = byId.get(r.id) ?? [];
    list.push(r.total);
    byId.set(r.id, list);
  }
  for (const [id, costs] of byId) {
    const mid = Math.floor(costs.length / 2);
    const median = costs.length % 2 ? (costs[mid] as number) : ((costs[mid - 1] as number) + (costs[mid] as number)) / 2;
    out.set(id, { medianUsd: median, runs: costs.length });
  }
  return out;
}
