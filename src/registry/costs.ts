import type { Db } from './db.js';

/** How many of a connector's newest runs with a cost its median is taken over. */
export const COST_SAMPLE = 100;

/**
 * Each connector's median cost per run over its newest finished runs (successful or failed)
 * that recorded a cost, and how many runs that is; connectors with none are absent.
 */
export function medianCosts(db: Db, connectorIds: readonly string[]): Map<string, { medianUsd: number; runs: number }> {
  const out = new Map<string, { medianUsd: number; runs: number }>();
  if (connectorIds.length === 0) return out;
  const rows = db.prepare(`
    SELECT connector_id AS id, cost_usd AS cost FROM (
      SELECT connector_id, cost_usd, ROW_NUMBER() OVER (PARTITION BY connector_id ORDER BY created_at DESC, id DESC) AS n
      FROM executions
      WHERE status IN ('success', 'failed') AND cost_usd IS NOT NULL AND connector_id IN (${connectorIds.map(() => '?').join(',')})
    ) WHERE n <= ? ORDER BY connector_id, cost_usd`).all(...connectorIds, COST_SAMPLE) as Array<{ id: string; cost: number }>;
  const byId = new Map<string, number[]>();
  for (const r of rows) {
    const list = byId.get(r.id) ?? [];
    list.push(r.cost);
    byId.set(r.id, list);
  }
  for (const [id, costs] of byId) {
    const mid = Math.floor(costs.length / 2);
    const median = costs.length % 2 ? (costs[mid] as number) : ((costs[mid - 1] as number) + (costs[mid] as number)) / 2;
    out.set(id, { medianUsd: median, runs: costs.length });
  }
  return out;
}
