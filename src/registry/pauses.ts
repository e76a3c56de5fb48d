import { stmt, type Db } from './db.js';

/** A connector paused at runtime (`agent-hub pause`): no new runs until resumed, whatever git says. */
export interface Pause {
  connectorId: string;
  by: string;
  at: string;
  reason: string | null;
}

interface Row { connector_id: string; paused_by: string; paused_at: string; reason: string | null }
const toPause = (r: Row): Pause => ({ connectorId: r.connector_id, by: r.paused_by, at: r.paused_at, reason: r.reason });

/** Pauses a connector; pausing it again keeps the first pause (who and when). False when it was paused already. */
export function pauseConnector(db: Db, p: { connectorId: string; by: string; at: Date; reason?: string | null }): boolean {
  return stmt(db, 'INSERT INTO connector_pauses (connector_id, paused_by, paused_at, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
    .run(p.connectorId, p.by, p.at.toISOString(), p.reason ?? null).changes === 1;
}

/** The pause that ended, or undefined when the connector was not paused. */
export function resumeConnector(db: Db, connectorId: string): Pause | undefined {
  const was = getPause(db, connectorId);
  if (was) stmt(db, 'DELETE FROM connector_pauses WHERE connector_id = ?').run(connectorId);
  return was;
}

export function getPause(db: Db, connectorId: string): Pause | undefined {
  const r = stmt(db, 'SELECT * FROM connector_pauses WHERE connector_id = ?').get(connectorId) as Row | undefined;
  return r && toPause(r);
}

/** Every paused connector, by id. */
export function listPauses(db: Db): Map<string, Pause> {
  return new Map((stmt(db, 'SELECT * FROM connector_pauses ORDER BY connector_id').all() as Row[]).map((r) => [r.connector_id, toPause(r)]));
}

/** "paused by alice at 2026-…: reason" */
export function describePause(p: Pause): string {
  return `paused by ${p.by} at ${p.at}${p.reason ? `: ${p.reason}` : ''} (agent-hub resume ${p.connectorId} undoes it)`;
}

/** Why a connector may not start a run now (it is paused), or undefined when it may. */
export function pausedMessage(db: Db, connectorId: string): string | undefined {
  const p = getPause(db, connectorId);
  return p && `${connectorId} is ${describePause(p)}`;
}
