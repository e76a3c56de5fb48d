import type { Db } from '../registry/db.js';
import type { Finish } from '../registry/executions.js';
import { enqueue } from '../registry/outbox.js';
import type { Job } from '../execute/backend.js';
import { decideRetry } from '../execute/policy.js';
import { planDeliveries } from './plan.js';

/**
 * Queues a finished run's deliveries in the outbox. Called inside the transaction that
 * records the run, so a run is never recorded without what it owes, nor the other way
 * round. An attempt that will be retried delivers nothing: its last attempt does.
 */
export function queueDeliveries(db: Db, job: Job, f: Finish, now: Date): number {
  const { spec } = job.version;
  if (!spec.deliver?.length) return 0;
  if (decideRetry({ finish: f, attempt: job.attempt, retry: spec.retry, stopping: false }).retry) return 0;
  const planned = planDeliveries({
    id: job.id, version: job.version, inputs: job.inputs, trigger: job.trigger, attempt: job.attempt, scheduledFor: job.scheduledFor,
    ...(job.event ? { event: job.event } : {}), finish: f,
  });
  for (const p of planned) enqueue(db, { runId: job.id, connectorId: spec.id, kind: p.kind, target: p.target, payload: p.payload, at: now });
  return planned.length;
}
