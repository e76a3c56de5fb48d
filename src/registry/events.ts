import type { RunEvent } from '../core/events.js';
import { stmt, type Db } from './db.js';
import { observeKey } from './connectors.js';

// What the hooks record: delivery ids already taken (replays start nothing) and the event
// each run started on (its template's `event`, also for its retries).

const listeners = new WeakMap<Db, { key: string; ids: string[] }>();

/**
 * Ids of the active, enabled connectors with `on.github`: found by SQLite, not by parsing
 * every spec, and only again after the connectors changed.
 */
export function githubListeners(db: Db): string[] {
  const key = observeKey(db);
  const hit = listeners.get(db);
  if (hit?.key === key) return hit.ids;
  const ids = (stmt(db, "SELECT id FROM connectors WHERE active = 1 AND enabled = 1 AND json_extract(spec, '$.spec.on.github') IS NOT NULL ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);
  listeners.set(db, { key, ids });
  return ids;
}

/** The runs a delivery key started, when it was taken before; undefined for a new one. */
export function takenDelivery(db: Db, key: string): string[] | undefined {
  const r = stmt(db, 'SELECT runs FROM hook_deliveries WHERE key = ?').get(key) as { runs: string } | undefined;
  return r ? (JSON.parse(r.runs) as string[]) : undefined;
}

/** Records a delivery key as taken; false when it was taken already (a replay racing the first). */
export function takeDelivery(db: Db, key: string, at: Date): boolean {
  return stmt(db, "INSERT INTO hook_deliveries (key, received_at, runs) VALUES (?, ?, '[]') ON CONFLICT DO NOTHING").run(key, at.toISOString()).changes === 1;
}

export function setDeliveryRuns(db: Db, key: string, runs: string[]): void {
  stmt(db, 'UPDATE hook_deliveries SET runs = ? WHERE key = ?').run(JSON.stringify(runs), key);
}

/** Forgets a delivery that started nothing (every run refused), so its sender may send it again. */
export function releaseDelivery(db: Db, key: string): void {
  stmt(db, 'DELETE FROM hook_deliveries WHERE key = ?').run(key);
}

/** Keeps the event a run started on, and its delivery id on the run. */
export function recordRunEvent(db: Db, runId: string, event: RunEvent): void {
  stmt(db, 'INSERT OR REPLACE INTO run_events (run_id, event) VALUES (?, ?)').run(runId, JSON.stringify(event));
  stmt(db, 'UPDATE executions SET delivery_id = ? WHERE id = ?').run(event.deliveryId, runId);
}

/** Marks a retry of an event run with the delivery id of its first attempt. */
export function setDeliveryId(db: Db, runId: string, deliveryId: string): boolean {
  stmt(db, 'UPDATE executions SET delivery_id = ? WHERE id = ?').run(deliveryId, runId);
  return true;
}

/** The event a run (or the first attempt of a retried run) started on. */
export function runEvent(db: Db, runId: string): RunEvent | undefined {
  const r = stmt(db, 'SELECT event FROM run_events WHERE run_id = ?').get(runId) as { event: string } | undefined;
  return r ? (JSON.parse(r.event) as RunEvent) : undefined;
}

/**
 * Forgets what is only needed for a while: an event payload once its run is older than
 * `payloadsMs` (retries are over by then), delivery ids older than `idsMs` (senders redeliver
 * within days). Returns how many rows went.
 */
export function pruneEvents(db: Db, now: Date, o: { payloadsMs: number; idsMs: number }): number {
  const payloads = stmt(db, 'DELETE FROM run_events WHERE run_id IN (SELECT id FROM executions WHERE created_at < ?)').run(new Date(now.getTime() - o.payloadsMs).toISOString()).changes;
  const ids = stmt(db, 'DELETE FROM hook_deliveries WHERE received_at < ?').run(new Date(now.getTime() - o.idsMs).toISOString()).changes;
  return payloads + ids;
}
