import type { Redis } from 'ioredis';
import type { WorkerView } from '../backend.js';
import { WORKER_KEYS } from './protocol.js';

export type { WorkerView } from '../backend.js';


/** Every worker whose heartbeat has not expired. */
export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerView[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', WORKER_KEYS(prefix), 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => (v ? [JSON.parse(v) as WorkerView] : [])).sort((a, b) => a.name.localeCompare(b.name));
}

/** The last enqueue-to-start latencies (ms), for /metrics and bench. */
export class Latencies {
  private readonly samples: number[] = [];
  count = 0;
  sumMs = 0;

  add(ms: number): void {
    const v = Math.max(0, ms);
    this.count++;
    this.sumMs += v;
    this.samples.push(v);
    if (this.samples.length > 1000) this.samples.shift();
  }

  /** The q-quantile (0..1) of the recent samples; null with none. */
  quantile(q: number): number | null {
    if (!this.samples.length) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  }
}
