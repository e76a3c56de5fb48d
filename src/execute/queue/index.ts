import { randomUUID } from 'node:crypto';
import type { BackendMaker } from '../backend.js';
import type { HubConfig } from '../../spec/hub-config.js';
import { BullMqBackend } from './backend.js';
import { queueTarget, type QueueTarget } from './connection.js';

/** Execution on workers through BullMQ at this Redis and prefix. */
export const bullmqBackend = (target: QueueTarget, replyTo?: string): BackendMaker => (ctx) => new BullMqBackend(ctx, target, replyTo ? { replyTo } : {});

/**
 * The backend hub.yaml's `queue` asks for; undefined for the local one (the default).
 * `ownResults`: a process beside the hub (`agent-hub run`) reads its results from a queue
 * of its own, so neither takes the other's.
 */
export function configuredBackend(hub: HubConfig | undefined, env: NodeJS.ProcessEnv, opts: { ownResults?: boolean } = {}): BackendMaker | undefined {
  if (hub?.queue?.type !== 'bullmq') return undefined;
  return bullmqBackend(queueTarget(hub.queue, env), opts.ownResults ? `results-${process.pid}-${randomUUID().slice(0, 8)}` : undefined);
}

export { BullMqBackend } from './backend.js';
export { QueueWorker, type QueueWorkerOptions } from './worker.js';
