import type { Db } from '../../registry/db.js';
import { getConnector } from '../../registry/connectors.js';
import { getExecution } from '../../registry/executions.js';
import { runsLeftOnWorkers } from '../../registry/workers.js';
import type { Tracked } from '../retries.js';

/**
 * Runs the last hub process left queued or running on workers (it stopped without draining:
 * a crash, kill -9): with a queue they may still run, or have finished with a result
 * waiting in Redis, so they are held again rather than marked interrupted. A run whose
 * connector is gone is left to be marked interrupted.
 */
export function adoptableRuns(db: Db): Array<Tracked & { started: boolean }> {
  return runsLeftOnWorkers(db).flatMap((id) => {
    const e = getExecution(db, id);
    const c = e && getConnector(db, e.connectorId);
    if (!e || !c) return [];
    const job = {
      id, connectorId: e.connectorId, attempt: e.attempt, trigger: e.trigger, scheduledFor: e.scheduledFor ? new Date(e.scheduledFor) : null,
      version: c.version, gitCommit: e.gitCommit, inputs: (e.inputs ?? {}) as Record<string, unknown>,
    };
    return [{ job, specHash: e.specHash ?? c.specHash, rootId: e.parentId ?? id, started: e.status === 'running' }];
  });
}
