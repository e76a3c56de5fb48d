import { stmt, type Db } from './db.js';

/**
 * Why a scheduled slot did not become a run: its connector was still running and forbids
 * overlap, its daily budget was spent, the hub was stopping, or the request failed (bad
 * inputs, a full disk). A slot that already ran (a duplicate) is not a skip.
 */
export type SkipReason = 'overlap' | 'budget' | 'stopping' | 'storage' | 'error' | 'paused';

/** A connector's skipped slots: how many, by reason, and the last one. */
export interface SkipSummary {
  count: number;
  byReason: Partial<Record<SkipReason, number>>;
  last: { at: string; slot: string | null; reason: SkipReason; message: string } | null;
}

export interface Skip {
  connectorId: string;
  reason: SkipReason;
  slot: Date | null;
  at: Date;
  message: string;
}

/** Counts a skipped slot and keeps it as its reason's last one. */
export function recordSkip(db: Db, s: Skip): void {
  stmt(db, `INSERT INTO skipped_slots (connector_id, reason, count, last_at, last_slot, last_message) VALUES (?, ?, 1, ?, ?, ?)
    ON CONFLICT (connector_id, reason) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_slot = excluded.last_slot, last_message = excluded.last_message`)
    .run(s.connectorId, s.reason, s.at.toISOString(), s.slot?.toISOString() ?? null, s.message);
}

interface Row {
  connector_id: string;
  reason: SkipReason;
  count: number;
  last_at: string;
  last_slot: string | null;
  last_message: string;
}

/** What a connector with no skip shows. */
export const NO_SKIPS: SkipSummary = Object.freeze({ count: 0, byReason: {}, last: null });

function summarize(rows: readonly Row[]): SkipSummary {
  const out: SkipSummary = { count: 0, byReason: {}, last: null };
  for (const r of rows) {
    out.count += r.count;
    out.byReason[r.reason] = r.count;
    if (!out.last || r.last_at > out.last.at) out.last = { at: r.last_at, slot: r.last_slot, reason: r.reason, message: r.last_message };
  }
  return out;
}

/** Every connector's skipped slots, by connector id. */
export function skipSummaries(db: Db): Map<string, SkipSummary> {
  const byConnector = new Map<string, Row[]>();
  for (const r of stmt(db, 'SELECT * FROM skipped_slots').all() as Row[]) byConnector.set(r.connector_id, [...(byConnector.get(r.connector_id) ?? []), r]);
  return new Map([...byConnector].map(([id, rows]) => [id, summarize(rows)]));
}

/** One connector's skipped slots. */
export function skipSummary(db: Db, connectorId: string): SkipSummary {
  return summarize(stmt(db, 'SELECT * FROM skipped_slots WHERE connector_id = ?').all(connectorId) as Row[]);
}

/** Counts by connector and reason, for /metrics. */
export function skipCounts(db: Db): Array<{ connectorId: string; reason: SkipReason; count: number }> {
  return (stmt(db, 'SELECT connector_id, reason, count FROM skipped_slots').all() as Row[]).map((r) => ({ connectorId: r.connector_id, reason: r.reason, count: r.count }));
}
