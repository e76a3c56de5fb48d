import { Gauge, type Registry } from 'prom-client';
import type { QueueView } from '../execute/backend.js';

/** The queue's gauges (workers, waiting jobs per agent type, enqueue-to-start latency), read once per scrape. */
export function registerQueueMetrics(registry: Registry, read: () => Promise<QueueView>): void {
  let cached: { at: number; view: Promise<QueueView> } | undefined;
  const view = () => {
    if (!cached || Date.now() - cached.at > 500) cached = { at: Date.now(), view: read() };
    return cached.view;
  };
  new Gauge({
    name: 'agent_hub_workers', help: 'Workers whose heartbeat is live', registers: [registry],
    async collect() { this.set((await view()).workers.length); },
  });
  new Gauge({
    name: 'agent_hub_worker_running_runs', help: 'Runs each worker runs now', labelNames: ['worker', 'host'], registers: [registry],
    async collect() {
      this.reset();
      for (const w of (await view()).workers) this.set({ worker: w.name, host: w.host }, w.running.length);
    },
  });
  new Gauge({
    name: 'agent_hub_queue_waiting', help: 'Runs waiting in Redis for a worker, by agent type', labelNames: ['agent_type'], registers: [registry],
    async collect() {
      for (const [type, n] of Object.entries((await view()).waiting)) this.set({ agent_type: type }, n);
    },
  });
  new Gauge({
    name: 'agent_hub_queue_reachable', help: 'Whether the queue\'s Redis answers', registers: [registry],
    async collect() { this.set((await view()).reachable ? 1 : 0); },
  });
  new Gauge({
    name: 'agent_hub_enqueue_to_start_seconds', help: 'From queueing a run to its agent starting on a worker, over recent runs', labelNames: ['quantile'], registers: [registry],
    async collect() {
      const { p50, p95 } = (await view()).enqueueToStartMs;
      if (p50 !== null) this.set({ quantile: '0.5' }, p50 / 1000);
      if (p95 !== null) this.set({ quantile: '0.95' }, p95 / 1000);
    },
  });
}
