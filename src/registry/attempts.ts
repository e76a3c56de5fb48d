import { stmt, type Db } from './db.js';
import type { ExecutionStatus } from './executions.js';

// What the hub asks the registry before deciding on a run: runs in progress, the end of a
// chain of attempts.

/** Ids of a connector's runs recorded as running and started at or after `since`. */
export function runningSince(db: Db, connectorId: string, since: Date): string[] {
  const rows = stmt(db, "SELECT id FROM executions WHERE connector_id = ? AND status = 'running' AND started_at >= ?").all(connectorId, since.toISOString()) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** The latest attempt of a run: the run itself (`rootId`) or its last retry recorded. */
export function latestAttempt(db: Db, rootId: string): { id: string; status: ExecutionStatus } | undefined {
  return stmt(db, 'SELECT id, status FROM executions WHERE id = ? OR parent_id = ? ORDER BY attempt DESC LIMIT 1').get(rootId, rootId) as { id: string; status: ExecutionStatus } | undefined;
}
