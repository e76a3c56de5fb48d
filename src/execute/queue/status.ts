import { bullmq, ioredis } from './modules.js';
import { agentTypes } from '../../agents/index.js';
import type { HubConfig } from '../../spec/hub-config.js';
import type { WorkerView } from '../backend.js';
import { queueTarget, safeUrl } from './connection.js';
import { runQueue } from './protocol.js';
import { listWorkers } from './stats.js';

/** What `agent-hub status` shows of the queue, read from Redis directly (the hub need not run). */
export interface QueueStatus {
  url: string;
  prefix: string;
  reachable: boolean;
  error?: string;
  waiting: Record<string, number>;
  workers: WorkerView[];
}

/** The queue of hub.yaml, or null when runs execute locally. Never throws: an unreachable Redis is reported. */
export async function readQueueStatus(hub: HubConfig, env: NodeJS.ProcessEnv): Promise<QueueStatus | null> {
  if (hub.queue?.type !== 'bullmq') return null;
  let target;
  try {
    target = queueTarget(hub.queue, env);
  } catch (err) {
    return { url: safeUrl(hub.queue.url ?? ''), prefix: hub.queue.prefix ?? '', reachable: false, error: (err as Error).message, waiting: {}, workers: [] };
  }
  const base = { url: safeUrl(target.url), prefix: target.prefix };
  const { Queue } = bullmq();
  const redis = new (ioredis().Redis)(target.url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const waiting: Record<string, number> = {};
    for (const type of Object.keys(agentTypes)) {
      const q = new Queue(runQueue(type), { connection: redis, prefix: target.prefix });
      waiting[type] = await q.getWaitingCount();
      await q.close();
    }
    return { ...base, reachable: true, waiting, workers: await listWorkers(redis, target.prefix) };
  } catch (err) {
    return { ...base, reachable: false, error: (err as Error).message, waiting: {}, workers: [] };
  } finally {
    redis.disconnect();
  }
}

/** The lines `status` prints: the queue, then one per worker. */
export function queueLines(q: QueueStatus): string[] {
  if (!q.reachable) return [`queue: ${q.url} (prefix ${q.prefix}) unreachable: ${q.error ?? 'no answer'}`];
  const waiting = Object.entries(q.waiting).map(([t, n]) => `${t} ${n}`).join(', ');
  return [
    `queue: ${q.url} (prefix ${q.prefix}); waiting: ${waiting}; ${q.workers.length} worker${q.workers.length === 1 ? '' : 's'}`,
    ...q.workers.map((w) => `  ${w.name} on ${w.host}: ${w.agents.join(',')}, running ${w.running.length}/${w.concurrency}, last heartbeat ${w.lastBeat}`),
  ];
}
