import { stmt, type Db } from './db.js';

/** An incident open now: one alert was sent when it opened; the runs since are counted, not sent. */
export interface OpenAlert {
  key: string;
  rule: string;
  subject: string;
  openedAt: string;
  count: number;
  lastMessage: string;
}

/** Opens an incident, or counts one more occurrence of an open one; true when it is new (an alert is due). */
export function openAlert(db: Db, a: { key: string; rule: string; subject: string; at: Date; message: string }): boolean {
  const r = stmt(db, `INSERT INTO alerts (key, rule, subject, opened_at, count, last_message) VALUES (?, ?, ?, ?, 1, ?)
    ON CONFLICT(key) DO UPDATE SET count = count + 1, last_message = excluded.last_message RETURNING count`).get(a.key, a.rule, a.subject, a.at.toISOString(), a.message) as { count: number };
  return r.count === 1;
}

/** Closes an incident; the closed one (for the recovery message), or undefined when none was open. */
export function closeAlert(db: Db, key: string): OpenAlert | undefined {
  return stmt(db, 'DELETE FROM alerts WHERE key = ? RETURNING key, rule, subject, opened_at AS openedAt, count, last_message AS lastMessage').get(key) as OpenAlert | undefined;
}

/** Open incidents whose key starts with `prefix` (all of a connector's). */
export function openAlerts(db: Db, prefix = ''): OpenAlert[] {
  return db.prepare("SELECT key, rule, subject, opened_at AS openedAt, count, last_message AS lastMessage FROM alerts WHERE key LIKE ? ESCAPE '\\' ORDER BY key")
    .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as OpenAlert[];
}
