import type { BackendMaker } from '../backend.js';
import type { HubConfig } from '../../spec/hub-config.js';
import { BullMqBackend } from './backend.js';
import { queueTarget, type QueueTarget } from './connection.js';

/** Execution on workers through BullMQ at this Redis and prefix. */
export const bullmqBackend = (target: QueueTarget): BackendMaker => (ctx) => new BullMqBackend(ctx, target);

/** The backend hub.yaml's `queue` asks for; undefined for the local one (the default). */
export function configuredBackend(hub: HubConfig | undefined, env: NodeJS.ProcessEnv): BackendMaker | undefined {
  return hub?.queue?.type === 'bullmq' ? bullmqBackend(queueTarget(hub.queue, env)) : undefined;
}

export { BullMqBackend } from './backend.js';
export { QueueWorker, type QueueWorkerOptions } from './worker.js';
