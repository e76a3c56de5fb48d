// Issue 5 figures: edit-to-live latency through a real daemon, and an idle hub's footprint.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, percentile, median, printTable, tempRepo, writeConnectors } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'agent-hub.js');

async function start(root) {
  const proc = spawn(process.execPath, [bin, 'start', '--repo', root, '--port', '0'], { env: { ...process.env, AGENT_HUB_LOG_FORMAT: 'json', AGENT_HUB_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  // The port is not logged at level warn: ask the OS which port the process listens on.
  const url = await new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = () => {
      try {
        const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
        const m = out.split('\n').find((l) => l.includes(`pid=${proc.pid},`));
        const port = m && /:(\d+)\s/.exec(m.trim().split(/\s+/)[3] + ' ')?.[1];
        if (port) return resolve(`http://127.0.0.1:${port}`);
      } catch { /* ss missing: fall through */ }
      if (Date.now() > deadline) return reject(new Error('daemon did not start'));
      setTimeout(poll, 50);
    };
    poll();
  });
  return { proc, url, stop: () => new Promise((r) => { proc.on('exit', r); proc.kill('SIGTERM'); }) };
}

/**
 * Waits until the daemon picks edits up (its watches are set before its port opens; with
 * the old watcher the port opened seconds before it was ready), and warms it up.
 */
async function watching(root, url) {
  for (let i = 0; ; i++) {
    writeFileSync(path.join(root, 'connectors', 'c-7.yaml'), JSON.stringify({ prompt: `warm-up ${i}` }));
    for (const until = Date.now() + 1000; Date.now() < until;) {
      const c = await (await fetch(`${url}/api/connectors/c-7`)).json();
      if (c.template === `warm-up ${i}`) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export async function editToLive(connectors, edits = 100) {
  const root = tempRepo();
  git(root, 'init', '-q');
  mkdirSync(path.join(root, 'connectors'), { recursive: true });
  writeConnectors(root, connectors);
  const d = await start(root);
  await watching(root, d.url);
  const latencies = [];
  const statMs = [];
  for (let i = 0; i < edits; i++) {
    const minute = i % 60;
    const t = performance.now();
    writeFileSync(path.join(root, 'connectors', 'c-7.yaml'), JSON.stringify({ prompt: `edit ${i}`, schedule: `${minute} 3 * * *` }));
    for (;;) {
      const c = await (await fetch(`${d.url}/api/connectors/c-7`)).json();
      if (c.template === `edit ${i}` && c.nextRun && new Date(c.nextRun).getUTCMinutes() === minute) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    latencies.push(performance.now() - t);
    statMs.push(statAll(root));
    await new Promise((r) => setTimeout(r, 20));
  }
  await d.stop();
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), statMs: median(statMs) };
}

/** The yardstick, taken between edits: a readdir and a stat of every connector file, what a pass over all the files must do at least. */
function statAll(root) {
  const t = performance.now();
  const dir = path.join(root, 'connectors');
  for (const name of readdirSync(dir)) statSync(path.join(dir, name));
  return performance.now() - t;
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
}

export async function idle(count = 1000, seconds = 30) {
  const root = tempRepo();
  git(root, 'init', '-q');
  writeConnectors(root, count); // each with a daily schedule
  const d = await start(root);
  // Idle means started: the watcher's first scan of the files (seconds with 1,000) and the
  // reconcile when it is ready are over once an edit shows up; then a moment to settle.
  await watching(root, d.url);
  await new Promise((r) => setTimeout(r, 2000));
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const before = cpuTicks(d.proc.pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = ((cpuTicks(d.proc.pid) - before) / hz / seconds) * 100;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))[1]);
  await d.stop();
  return { cpu, rssMb: rssKb / 1024 };
}

export async function run() {
  const few = await editToLive(50);
  const many = await editToLive(5000);
  const i = await idle();
  printTable('daemon: live reconcile and idle footprint', [
    { metric: 'edit to live (file written → API shows new version and next run), 50 connectors, p50 / p95 of 100', value: `${few.p50.toFixed(0)} / ${few.p95.toFixed(0)} ms`, target: 'p95 < 300 ms', ok: few.p95 < 300 },
    { metric: 'edit to live, 5,000 connectors in the repo, p50 / p95 of 100', value: `${many.p50.toFixed(0)} / ${many.p95.toFixed(0)} ms`, yardstick: `${many.statMs.toFixed(1)} ms: stat of the 5,000 files`, ratio: many.p95 / many.statMs, target: 'p95 < 150 ms', ok: many.p95 < 150 },
    { metric: 'idle hub, 1,000 connectors: CPU over 30 s', value: `${i.cpu.toFixed(2)} %`, target: '< 1 %', ok: i.cpu < 1 },
    { metric: 'idle hub, 1,000 connectors: RSS', value: `${i.rssMb.toFixed(0)} MB`, target: '< 150 MB', ok: i.rssMb < 150 },
  ]);
}
