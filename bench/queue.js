// Issue 12 figures: no-op runs through BullMQ workers (1, 2, 4 worker processes) beside the
// local backend in the same run: runs/s, and enqueue-to-start latency at a steady 100 runs/s.
// Needs Redis at AGENT_HUB_BENCH_REDIS (default redis://127.0.0.1:6379); keys under a prefix of its own, deleted after.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, printTable, repoWith as repo } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bin', 'agent-hub.js');
const REDIS = process.env.AGENT_HUB_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const { Hub } = await import('../dist/hub.js');
const { Redis } = await import('ioredis');

const NOOP = JSON.stringify({ prompt: 'x', concurrency: 'allow', agent: { type: 'command', command: ['true'] } });


async function startWorkers(n, prefix) {
  const procs = [];
  for (let i = 0; i < n; i++) {
    const proc = spawn(process.execPath, [BIN, 'worker', '--queue', REDIS, '--prefix', prefix, '--agents', 'command', '--concurrency', '8', '--name', `bench-${i}`], {
      env: { ...process.env, AGENT_HUB_LOG_FORMAT: 'json', AGENT_HUB_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    procs.push(proc);
  }
  // Ready when each has a heartbeat key.
  const redis = new Redis(REDIS);
  for (;;) {
    const keys = await redis.keys(`${prefix}:workers:*`);
    if (keys.length >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  redis.disconnect();
  return { stop: () => Promise.all(procs.map((p) => new Promise((resolve) => { p.on('exit', resolve); p.kill('SIGTERM'); }))) };
}

async function cleanup(prefix) {
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

/** A hub with the no-op connector, local or on `workers` worker processes. */
async function setup(workers) {
  const prefix = `bench-${randomUUID()}`;
  const queue = workers ? `queue: { type: bullmq, url: "${REDIS}", prefix: ${prefix} }\n` : '';
  const hub = new Hub({ repo: repo({ 'hub.yaml': `concurrency: 16\n${queue}`, 'connectors/n.yaml': NOOP }) });
  await hub.start({ commitLoop: false });
  const w = workers ? await startWorkers(workers, prefix) : undefined;
  return {
    hub,
    async close() {
      await hub.stop(0);
      await w?.stop();
      if (workers) await cleanup(prefix);
    },
  };
}

/** Runs submitted all at once: finished, recorded runs per second. */
async function throughput(workers, total) {
  const { hub, close } = await setup(workers);
  for (let i = 0; i < 20; i++) await hub.executor.wait(hub.run('n').id); // warm up
  const t = performance.now();
  const ids = Array.from({ length: total }, () => hub.run('n').id);
  const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
  const perSecond = total / ((performance.now() - t) / 1000);
  await close();
  return { perSecond, ok: done.every((e) => e.status === 'success') };
}

/** Runs submitted at a steady `rate` per second: enqueue-to-start latency (the hub's clock to the worker's, one machine). */
async function latency(workers, rate, seconds) {
  const { hub, close } = await setup(workers);
  for (let i = 0; i < 20; i++) await hub.executor.wait(hub.run('n').id);
  const lat = [];
  const ids = [];
  const t0 = performance.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const submitted = Date.now();
    const id = hub.run('n').id;
    ids.push([id, submitted]);
  }
  const done = await Promise.all(ids.map(([id]) => hub.executor.wait(id)));
  for (const [i, e] of done.entries()) lat.push(Date.parse(e.startedAt) - ids[i][1]);
  await close();
  return { p50: percentile(lat, 50), p95: percentile(lat, 95), ok: done.every((e) => e.status === 'success') };
}

export async function run() {
  const total = 400;
  const rounds = 2;
  const figures = {};
  for (const workers of [0, 1, 2, 4]) {
    const xs = [];
    let ok = true;
    for (let r = 0; r < rounds; r++) {
      const t = await throughput(workers, total);
      xs.push(t.perSecond);
      ok &&= t.ok;
    }
    figures[workers] = { perSecond: median(xs), ok };
  }
  const local = figures[0].perSecond;
  const lat = await latency(2, 100, 3);
  const localLat = await latency(0, 100, 3);
  // Below what the machine can run: the queue's own latency, not a backlog.
  const low = await latency(2, 10, 3);
  const localLow = await latency(0, 10, 3);
  const rows = [1, 2, 4].map((n) => ({
    metric: `\`true\` runs through the queue, ${n} worker process${n === 1 ? '' : 'es'} (median of ${rounds}×${total})`,
    value: `${figures[n].perSecond.toFixed(0)} runs/s`, yardstick: `${local.toFixed(0)} runs/s: local backend`, ratio: figures[n].perSecond / local,
    ...(n === 2 ? { target: '≥ 1×', ok: figures[n].perSecond >= local && figures[n].ok } : { ok: figures[n].ok }),
  }));
  rows.push({
    metric: 'enqueue-to-start at 100 runs/s, 2 workers: p95 (p50)', value: `${lat.p95} ms (${lat.p50} ms)`,
    yardstick: `${localLat.p95} ms (${localLat.p50} ms): local backend`, target: 'p95 < 50 ms', ok: lat.p95 < 50 && lat.ok,
  });
  rows.push({
    metric: 'enqueue-to-start at 10 runs/s, 2 workers: p95 (p50)', value: `${low.p95} ms (${low.p50} ms)`,
    yardstick: `${localLow.p95} ms (${localLow.p50} ms): local backend`, target: 'p95 < 50 ms', ok: low.p95 < 50 && low.ok,
  });
  printTable('queue: BullMQ workers on this machine', rows);
  const [one, five, fifteen] = (await import('node:os')).loadavg();
  console.log(`(load average during the run: ${one.toFixed(1)} ${five.toFixed(1)} ${fifteen.toFixed(1)} on ${(await import('node:os')).cpus().length} cores)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
