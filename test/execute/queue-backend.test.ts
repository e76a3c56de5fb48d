import { randomUUID } from 'node:crypto';
import { describeBackend } from './backend-conformance.js';
import { BullMqBackend } from '../../src/execute/queue/backend.js';
import { QueueWorker } from '../../src/execute/queue/worker.js';
import type { BackendMaker } from '../../src/execute/backend.js';
import { Redis } from 'ioredis';
import { scanKeys } from '../helpers/workers.js';

// The BullMQ backend, with a worker of both agent types in this process, against the
// promises every backend keeps; real Redis, a key prefix of its own per backend made.
const REDIS = process.env.AGENT_HUB_TEST_REDIS ?? 'redis://127.0.0.1:6379';

const withWorker: BackendMaker = (ctx) => {
  const target = { url: REDIS, prefix: `test-${randomUUID()}` };
  const backend = new BullMqBackend(ctx, target, { sweepMs: 500 });
  const worker = new QueueWorker({ url: REDIS, prefix: target.prefix, concurrency: 16, agents: ['claude', 'command'], env: ctx.env, heartbeatMs: 1000 });
  const started = worker.start();
  const stop = backend.stop.bind(backend);
  backend.stop = async (graceMs) => {
    await stop(graceMs);
    await started;
    await worker.stop(0);
    const redis = new Redis(REDIS);
    const keys = await scanKeys(redis, target.prefix);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  };
  return backend;
};

describeBackend('bullmq', withWorker);
