import type { Db } from './db.js';

/** The queue worker that ran a run (name, host, pid, agent CLI version), kept as JSON with the run. */
export function recordWorker(db: Db, id: string, worker: object): void {
  db.prepare('UPDATE executions SET worker = ? WHERE id = ?').run(JSON.stringify(worker), id);
}

/** A result for a run already recorded (a stalled job that still ended): counted, never recorded as a second outcome. */
export function recordDuplicate(db: Db, id: string): void {
  db.prepare('UPDATE executions SET duplicate_results = duplicate_results + 1 WHERE id = ?').run(id);
}

/**
 * Runs a hub process left queued or running with no agent process of its own (so on a
 * worker), oldest first: after a crash they are held again rather than marked interrupted.
 */
export function runsLeftOnWorkers(db: Db): string[] {
  return db.prepare("SELECT id FROM executions WHERE (status = 'running' OR (status = 'pending' AND not_before IS NULL)) AND agent_process IS NULL ORDER BY created_at, id").pluck().all() as string[];
}
