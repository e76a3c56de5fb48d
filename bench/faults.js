// Issue 9 figures: 20 SIGTERMs and 20 kill -9 at random moments under load, through a real daemon.
// `npm run bench -- faults`. Load: two connectors firing every second (one overlapping itself),
// commits every 200 ms through a slow pre-commit hook, so a signal lands while git and agents run.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { git, printTable, tempRepo } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'agent-hub.js');
const fixtures = path.join(here, '..', 'test', 'fixtures');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = (lo, hi) => lo + Math.random() * (hi - lo);

function loadedRepo() {
  const root = tempRepo('agent-hub-faults-');
  git(root, 'init', '-q', '--initial-branch=main');
  mkdirSync(path.join(root, 'connectors'));
  writeFileSync(path.join(root, '.gitignore'), '.agent-hub/\n');
  writeFileSync(path.join(root, 'hub.yaml'), 'state:\n  commitInterval: 200ms\nshutdown:\n  gracePeriod: 10s\n');
  writeFileSync(path.join(root, 'connectors/tick.yaml'), JSON.stringify({ prompt: 'tick {{run.id}}\n@fake sleep 0.4', schedule: '* * * * * *' }));
  writeFileSync(path.join(root, 'connectors/tock.yaml'), JSON.stringify({ prompt: 'tock {{run.id}}\n@fake sleep 1.5', schedule: '* * * * * *', concurrency: 'allow' }));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'bench hub');
  const hook = path.join(root, '.git/hooks/pre-commit');
  writeFileSync(hook, '#!/bin/sh\nsleep 0.3\n');
  chmodSync(hook, 0o755);
  const scratch = tempRepo('agent-hub-faults-fake-');
  mkdirSync(path.join(scratch, 'live'));
  const env = { ...process.env, PATH: `${fixtures}:${process.env.PATH}`, CLAUDE_CODE_FAKE_LOG: path.join(scratch, 'calls.jsonl'), CLAUDE_CODE_FAKE_LIVE: path.join(scratch, 'live'), AGENT_HUB_LOG_FORMAT: 'json' };
  return { root, env, scratch };
}

/** Starts the daemon and resolves once it listens; `logs` collects its JSON lines. */
function start(root, env) {
  const proc = spawn(process.execPath, [bin, 'start', '--repo', root, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let buffer = '';
    proc.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line);
          logs.push(entry);
          if (entry.msg === 'agent-hub started') resolve();
        } catch { /* not a log line */ }
      }
    });
    proc.stderr.resume();
    exited.then((e) => reject(new Error(`the daemon exited before listening: ${JSON.stringify(e)}`)));
  });
  return { proc, logs, exited, ready };
}

/** Runs in the registry; run ids named by the state commits; run ids the agent was called for. */
function account(root, scratch) {
  const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
  const rows = db.prepare('SELECT id, status, error_kind AS errorKind FROM executions').all();
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  const committed = new Set([...git(root, 'log', '--format=%B').matchAll(/^Agent-Hub-Run: (\S+)/gm)].map((m) => m[1]));
  const log = path.join(scratch, 'calls.jsonl');
  const prompts = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).prompt) : [];
  // A hub killed while it wrote the prompt leaves an agent that read an empty stdin: its run is recorded (interrupted).
  const called = prompts.map((p) => /^(?:tick|tock) (\S+)/.exec(p)?.[1]).filter(Boolean);
  return { rows, integrity, committed, called, cutPrompts: prompts.length - called.length };
}

async function sigtermLoop(stops = 20) {
  const { root, env, scratch } = loadedRepo();
  const codes = [];
  const drainMs = [];
  let interruptedAtStart = 0;
  for (let i = 0; i < stops; i++) {
    const d = start(root, env);
    await d.ready;
    interruptedAtStart += d.logs.filter((l) => String(l.msg).includes('marked failed (interrupted)')).reduce((n, l) => n + (l.count ?? 0), 0);
    await sleep(between(1000, 3000));
    const t = performance.now();
    d.proc.kill(i % 5 === 4 ? 'SIGINT' : 'SIGTERM');
    const e = await d.exited;
    drainMs.push(performance.now() - t);
    codes.push(e.signal ?? e.code);
  }
  // One more start says what the last stop left behind.
  const last = start(root, env);
  await last.ready;
  interruptedAtStart += last.logs.filter((l) => String(l.msg).includes('marked failed (interrupted)')).reduce((n, l) => n + (l.count ?? 0), 0);
  last.proc.kill('SIGTERM');
  await last.exited;
  const { rows, committed, called } = account(root, scratch);
  const finished = rows.filter((r) => r.status === 'success' || r.status === 'failed');
  return {
    stops, codes, interruptedAtStart, runs: rows.length, called: called.length,
    uncommitted: finished.filter((r) => !committed.has(r.id)).length,
    unrecorded: called.filter((id) => !rows.some((r) => r.id === id)).length,
    interrupted: rows.filter((r) => r.errorKind === 'interrupted').length,
    drainMax: Math.max(...drainMs),
  };
}

async function killLoop(kills = 20) {
  const { root, env, scratch } = loadedRepo();
  const integrity = [];
  let restarts = 0;
  let orphansSeen = 0;
  for (let i = 0; i < kills; i++) {
    const d = start(root, env);
    await d.ready;
    restarts++;
    // What the previous kill left running, now that the new hub has started.
    if (i > 0) orphansSeen += readdirSync(path.join(scratch, 'live')).filter((f) => /^\d+$/.test(f)).filter((pid) => { try { process.kill(Number(pid), 0); return true; } catch { return false; } }).length;
    await sleep(between(300, 3000));
    d.proc.kill('SIGKILL');
    await d.exited;
    integrity.push(account(root, scratch).integrity);
  }
  // A clean start and stop afterwards: everything finished is recorded and committed.
  const last = start(root, env);
  await last.ready;
  restarts++;
  last.proc.kill('SIGTERM');
  const lastExit = await last.exited;
  const { rows, committed, called, cutPrompts } = account(root, scratch);
  const finished = rows.filter((r) => r.status === 'success' || r.status === 'failed');
  return {
    cutPrompts, kills, restarts, integrityOk: integrity.filter((x) => x === 'ok').length, lastExit: lastExit.code,
    runs: rows.length, called: called.length,
    stuck: rows.filter((r) => r.status === 'pending' || r.status === 'running').length,
    unrecorded: called.filter((id) => !rows.some((r) => r.id === id)).length,
    uncommitted: finished.filter((r) => !committed.has(r.id)).length,
    interrupted: rows.filter((r) => r.errorKind === 'interrupted').length,
    orphansSeen,
  };
}

export async function run() {
  const t = await sigtermLoop();
  const zero = t.codes.filter((c) => c === 0).length;
  printTable('faults: 20 stops under load (SIGTERM, every fifth SIGINT), runs every second, commits every 200 ms', [
    { metric: 'stops that exited 0', value: `${zero} of ${t.stops}`, target: `${t.stops} of ${t.stops}`, ok: zero === t.stops },
    { metric: 'exit codes / signals seen', value: [...new Set(t.codes)].join(', '), target: '0', ok: t.codes.every((c) => c === 0) },
    { metric: 'runs marked interrupted at the next start', value: t.interruptedAtStart, target: '0', ok: t.interruptedAtStart === 0 },
    { metric: 'runs recorded (agent calls)', value: `${t.runs} (${t.called})`, target: '', ok: undefined },
    { metric: 'agent calls with no run in the registry', value: t.unrecorded, target: '0', ok: t.unrecorded === 0 },
    { metric: 'finished runs not in any state commit', value: t.uncommitted, target: '0', ok: t.uncommitted === 0 },
    { metric: 'longest drain (signal → exit)', value: `${(t.drainMax / 1000).toFixed(1)} s`, target: '< 10 s (gracePeriod)', ok: t.drainMax < 10_000 },
  ]);
  const k = await killLoop();
  printTable('faults: 20 kill -9 at random moments under load, each followed by a restart', [
    { metric: 'restarts that came up (lock taken over)', value: `${k.restarts} of ${k.kills + 1}`, target: `${k.kills + 1} of ${k.kills + 1}`, ok: k.restarts === k.kills + 1 },
    { metric: 'integrity_check after each kill', value: `${k.integrityOk} of ${k.kills} ok`, target: `${k.kills} of ${k.kills}`, ok: k.integrityOk === k.kills },
    { metric: 'runs recorded (agent calls)', value: `${k.runs} (${k.called})`, target: '', ok: undefined },
    { metric: 'runs marked interrupted (running when killed)', value: k.interrupted, target: 'about 1-3 per kill', ok: undefined },
    { metric: 'agents whose prompt the kill cut off (run recorded, interrupted)', value: k.cutPrompts, target: '', ok: undefined },
    { metric: 'runs left pending or running after a clean restart', value: k.stuck, target: '0', ok: k.stuck === 0 },
    { metric: 'agent calls with no run in the registry', value: k.unrecorded, target: '0', ok: k.unrecorded === 0 },
    { metric: 'finished runs not in any state commit after a clean stop', value: k.uncommitted, target: '0', ok: k.uncommitted === 0 },
    { metric: 'final SIGTERM exit code', value: k.lastExit, target: '0', ok: k.lastExit === 0 },
    { metric: 'agents of a killed hub still alive after the restart (orphans)', value: k.orphansSeen, target: '0 (issue 9, orphans)', ok: k.orphansSeen === 0 },
  ]);
}
