// Issue 3 figures: hub overhead per run, throughput of recorded runs, 2,000 slots at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { median, printTable, repoWith as repo } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'test', 'fixtures');
const { Hub } = await import('../dist/hub.js');


async function startHub(root, env = process.env) {
  const hub = new Hub({ repo: root, env });
  await hub.start();
  return hub;
}

/** The same no-op agent (the fake claude), through the hub and bare, alternating. */
async function overhead(runs = 30) {
  const env = { PATH: `${fixtures}:${process.env.PATH}`, HOME: process.env.HOME };
  const root = repo({ 'connectors/noop.yaml': JSON.stringify({ prompt: 'noop', concurrency: 'allow' }) });
  const hub = await startHub(root, env);
  const viaHub = [];
  const bare = [];
  for (let i = 0; i < runs + 3; i++) {
    let t = performance.now();
    const r = hub.run('noop');
    await hub.executor.waitFinal(r.id);
    const hubMs = performance.now() - t;
    t = performance.now();
    // The environment the hub gives a claude agent here (an inherited NODE_EXTRA_CA_CERTS alone costs ~30 ms a start).
    await execa('claude', ['-p', '--output-format', 'json'], { input: 'noop', env: { PATH: env.PATH, HOME: env.HOME }, extendEnv: false });
    const bareMs = performance.now() - t;
    if (i >= 3) (viaHub.push(hubMs), bare.push(bareMs)); // the first runs warm caches up
  }
  await hub.stop(0);
  return { hub: median(viaHub), bare: median(bare) };
}

/** `true` as a command agent at concurrency 8: finished, recorded runs per second. */
async function throughput(total) {
  const files = { 'hub.yaml': 'concurrency: 8\n' };
  for (let i = 0; i < 8; i++) files[`connectors/t${i}.yaml`] = JSON.stringify({ prompt: 'x', concurrency: 'allow', agent: { type: 'command', command: ['true'] } });
  const hub = await startHub(repo(files));
  const t = performance.now();
  const ids = [];
  for (let i = 0; i < total; i++) ids.push(hub.run(`t${i % 8}`).id);
  const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
  const seconds = (performance.now() - t) / 1000;
  const recorded = hub.db.prepare("SELECT COUNT(*) AS n FROM executions WHERE status = 'success'").get().n;
  await hub.stop(0);
  return { perSecond: total / seconds, ok: done.every((e) => e.status === 'success') && recorded === total };
}

/** The yardstick: bare execa spawning `true`, 8 at a time, in this same process. */
async function bareThroughput(total) {
  const t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < total) await execa('true');
  }));
  return total / ((performance.now() - t) / 1000);
}

/** Hub and bare alternately, three rounds each, so the machine's load hits both alike. */
async function throughputs(total = 600, rounds = 3) {
  const hub = [];
  const bare = [];
  let ok = true;
  for (let i = 0; i < rounds; i++) {
    const h = await throughput(total);
    ok &&= h.ok;
    hub.push(h.perSecond);
    bare.push(await bareThroughput(total));
  }
  return { hub: median(hub), bare: median(bare), ok, ratios: hub.map((h, i) => h / bare[i]) };
}

/** 2,000 connectors whose schedules all fall on one second: when does each get its row? */
async function burst(count = 2000) {
  const slot = new Date(Math.ceil((Date.now() + 6000) / 1000) * 1000);
  const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
  const files = {};
  for (let i = 0; i < count; i++) files[`connectors/b${i}.yaml`] = JSON.stringify({ prompt: 'x', schedule: cron, agent: { type: 'command', command: ['true'] } });
  const hub = await startHub(repo(files));
  const wait = slot.getTime() - Date.now() + 1500;
  await new Promise((r) => setTimeout(r, Math.max(wait, 0)));
  const rows = hub.db.prepare('SELECT created_at FROM executions WHERE scheduled_for = ?').all(slot.toISOString());
  const lag = rows.map((r) => Date.parse(r.created_at) - slot.getTime());
  await hub.stop(0);
  return { rows: rows.length, maxLagMs: Math.max(...lag), p50LagMs: median(lag) };
}

export async function run() {
  const o = await overhead();
  const t = await throughputs();
  const b = await burst();
  const ratio = o.hub / o.bare;
  printTable('runs: executor and scheduler', [
    { metric: 'no-op claude run through the hub (median of 30)', value: `${o.hub.toFixed(1)} ms`, yardstick: `${o.bare.toFixed(1)} ms: bare execa`, ratio, target: '< 1.3×', ok: ratio < 1.3 },
    { metric: '`true` command runs at concurrency 8, finished and recorded (median of 3×600)', value: `${t.hub.toFixed(0)} runs/s`, yardstick: `${t.bare.toFixed(0)} runs/s: bare execa, 8 at a time`, ratio: t.hub / t.bare, target: '≥ 0.8×', ok: t.hub / t.bare >= 0.8 && t.ok },
    { metric: '2,000 connectors due in one second: rows recorded', value: String(b.rows), target: '2000', ok: b.rows === 2000 },
    { metric: '  slowest row after the boundary (p50)', value: `${b.maxLagMs} ms (${b.p50LagMs} ms)`, target: '< 1000 ms', ok: b.maxLagMs < 1000 },
  ]);
}
