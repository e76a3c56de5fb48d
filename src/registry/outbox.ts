import { stmt, type Db } from './db.js';

/** One action the hub owes the outside world (a comment, an issue, a webhook, an alert). */
export interface OutboxItem {
  id: number;
  runId: string | null;
  connectorId: string | null;
  /** github-comment, github-issue, webhook, alert… */
  kind: string;
  /** Where it goes, with no secret: a URL, owner/name#number. */
  target: string;
  /** What the sender needs, JSON; credentials are `${NAME}` references, resolved when sending. */
  payload: Record<string, unknown>;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxAttempt {
  attempt: number;
  at: string;
  outcome: string;
  detail: string | null;
}

const COLS = `id, run_id AS runId, connector_id AS connectorId, kind, target, payload, status, attempts, next_at AS nextAt,
  last_error AS lastError, created_at AS createdAt, sent_at AS sentAt`;

const item = (r: Record<string, unknown>): OutboxItem => ({ ...(r as unknown as OutboxItem), payload: JSON.parse(r.payload as string) as Record<string, unknown> });

/** Queues an action; call inside the transaction that records its cause, so neither is kept without the other. */
export function enqueue(db: Db, o: { runId: string | null; connectorId: string | null; kind: string; target: string; payload: Record<string, unknown>; at: Date }): number {
  const r = stmt(db, `INSERT INTO delivery_outbox (run_id, connector_id, kind, target, payload, status, next_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`)
    .run(o.runId, o.connectorId, o.kind, o.target, JSON.stringify(o.payload), o.at.toISOString(), o.at.toISOString());
  return Number(r.lastInsertRowid);
}

/** Items due now (pending, their backoff over) and items left `sending` by a crash, oldest first. */
export function dueItems(db: Db, now: Date, limit = 20): OutboxItem[] {
  return (db.prepare(`SELECT ${COLS} FROM delivery_outbox WHERE status IN ('pending', 'sending') AND next_at <= ? ORDER BY id LIMIT ?`)
    .all(now.toISOString(), limit) as Array<Record<string, unknown>>).map(item);
}

/** When the next pending item is due; undefined when none waits. */
export function nextDue(db: Db): string | undefined {
  return (stmt(db, "SELECT MIN(next_at) AS at FROM delivery_outbox WHERE status IN ('pending', 'sending')").get() as { at: string | null }).at ?? undefined;
}

/** Marks an item as being sent (committed before the request leaves): after a crash it is known to be in doubt. */
export function markSending(db: Db, id: number, at: Date): number {
  db.prepare("UPDATE delivery_outbox SET status = 'sending', attempts = attempts + 1, next_at = ? WHERE id = ?").run(at.toISOString(), id);
  return (stmt(db, 'SELECT attempts FROM delivery_outbox WHERE id = ?').get(id) as { attempts: number }).attempts;
}

/** Records one attempt's outcome and the item's new state, in one transaction. */
export function settle(db: Db, id: number, attempt: number, o: { at: Date; status: 'pending' | 'sent' | 'failed'; outcome: string; detail?: string; nextAt?: Date; payload?: Record<string, unknown> }): void {
  db.transaction(() => {
    stmt(db, 'INSERT OR REPLACE INTO delivery_attempts (outbox_id, attempt, at, outcome, detail) VALUES (?, ?, ?, ?, ?)').run(id, attempt, o.at.toISOString(), o.outcome, o.detail ?? null);
    stmt(db, `UPDATE delivery_outbox SET status = ?, next_at = ?, last_error = ?, sent_at = ?, payload = COALESCE(?, payload) WHERE id = ?`).run(
      o.status, (o.nextAt ?? o.at).toISOString(), o.status === 'sent' ? null : o.detail ?? null, o.status === 'sent' ? o.at.toISOString() : null,
      o.payload ? JSON.stringify(o.payload) : null, id);
  })();
}

/** A run's deliveries with their attempts, for `show` and the API. */
export function runDeliveries(db: Db, runId: string): Array<OutboxItem & { history: OutboxAttempt[] }> {
  const items = (db.prepare(`SELECT ${COLS} FROM delivery_outbox WHERE run_id = ? ORDER BY id`).all(runId) as Array<Record<string, unknown>>).map(item);
  return items.map((i) => ({ ...i, history: db.prepare('SELECT attempt, at, outcome, detail FROM delivery_attempts WHERE outbox_id = ? ORDER BY attempt').all(i.id) as OutboxAttempt[] }));
}

/** Items by status, for metrics. */
export function outboxCounts(db: Db): Record<string, number> {
  const rows = db.prepare('SELECT status, COUNT(*) AS n FROM delivery_outbox GROUP BY status').all() as Array<{ status: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Drops the bodies of deliveries that are over (sent or failed) and older than `ms`; their attempts stay for `show`. */
export function pruneOutbox(db: Db, now: Date, ms: number): number {
  return stmt(db, "UPDATE delivery_outbox SET payload = '{}' WHERE status IN ('sent', 'failed') AND created_at < ? AND payload != '{}'").run(new Date(now.getTime() - ms).toISOString()).changes;
}
