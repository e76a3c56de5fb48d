// Run cgroups a killed hub or worker left behind: removed at the next start when empty, never a live run's.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RunCgroup, ownCgroupDir } from '../../src/execute/cgroup.js';
import { identify, type ProcessIdentity } from '../../src/execute/procfs.js';
import { getExecution } from '../../src/registry/executions.js';
import { startDaemon } from '../helpers/daemon.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { gitdir } from '../helpers/repo.js';
import { queueHub, queuePrefix, startWorker } from '../helpers/workers.js';
import { cgroupsWritable, running } from '../helpers/procs.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
/** The cgroup a process of this test's cgroup (the hub and workers it starts) made for a run (named by the run, then its maker). */
function cgroupOf(runId: string): string | undefined {
  const parent = ownCgroupDir() as string;
  const name = readdirSync(parent).find((n) => n.startsWith(`${RunCgroup.PREFIX}${runId}`));
  return name && path.join(parent, name);
}
const procsIn = (dir: string) => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

/** Removes a cgroup the test made, once the processes it killed have left it (rmdir answers EBUSY until then). */
async function removedOnceEmpty(dir: string): Promise<void> {
  await eventually(() => {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  });
}

/**
 * The agent of the killed process ends (here: killed; left alone it runs on until it is
 * done), and its run's cgroup is empty, but still there: the leak.
 */
async function agentEnds(dir: string): Promise<void> {
  await eventually(() => {
    for (const pid of procsIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    expect(procsIn(dir)).toEqual([]);
  }, 10_000);
  expect(existsSync(dir)).toBe(true);
}

describe.runIf(cgroupsWritable())('run cgroups left behind', () => {
  it('the sweep removes empty leftovers and leaves a non-empty one and its processes alone', async () => {
    const parent = ownCgroupDir() as string;
    const empty = path.join(parent, `${RunCgroup.PREFIX}test-${randomUUID()}`);
    const busy = path.join(parent, `${RunCgroup.PREFIX}test-${randomUUID()}`);
    const other = path.join(parent, `not-agent-hub-${randomUUID()}`);
    for (const dir of [empty, busy, other]) mkdirSync(dir);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => sleeper.on('exit', resolve));
    onTestFinished(async () => {
      sleeper.kill('SIGKILL');
      await exited;
      for (const dir of [empty, busy, other]) await removedOnceEmpty(dir);
    });
    writeFileSync(path.join(busy, 'cgroup.procs'), String(sleeper.pid));
    const swept = RunCgroup.sweep();
    expect(swept.removed).toContain(empty);
    expect(swept.busy).toContain(busy);
    expect(existsSync(empty)).toBe(false);
    expect(existsSync(busy)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(procsIn(busy)).toEqual([sleeper.pid]);
    expect(sleeper.exitCode).toBeNull();
  });

  it('the sweep kills what runs in a cgroup whose maker is gone, and leaves one whose maker runs alone', async () => {
    const parent = ownCgroupDir() as string;
    // The maker runs: another agent-hub process, here a sleeper standing in for it.
    const maker = spawn('sleep', ['30'], { stdio: 'ignore' });
    // Made by "this pid" at another start time: a process gone, its pid since reused (by this test).
    const gone = { ...(identify(process.pid) as ProcessIdentity), startTime: '1' };
    const orphaned = path.join(parent, RunCgroup.nameOf(`test-${randomUUID()}`, gone));
    const live = path.join(parent, RunCgroup.nameOf(`test-${randomUUID()}`, identify(maker.pid as number)));
    const agents = [spawn('sleep', ['30'], { stdio: 'ignore' }), spawn('sleep', ['30'], { stdio: 'ignore' })];
    onTestFinished(async () => {
      for (const p of [maker, ...agents]) p.kill('SIGKILL');
      for (const dir of [orphaned, live]) await removedOnceEmpty(dir);
    });
    for (const dir of [orphaned, live]) mkdirSync(dir);
    writeFileSync(path.join(orphaned, 'cgroup.procs'), String(agents[0]?.pid));
    writeFileSync(path.join(live, 'cgroup.procs'), String(agents[1]?.pid));
    const swept = RunCgroup.sweep();
    expect(swept.killed).toEqual([orphaned]);
    expect(swept.busy).toContain(live);
    await eventually(() => expect(running(agents[0]?.pid as number)).toBe(false), 5000);
    await eventually(() => expect(existsSync(orphaned)).toBe(false), 5000);
    expect(running(agents[1]?.pid as number)).toBe(true);
    expect(procsIn(live)).toEqual([agents[1]?.pid]);
  });

  it('a run whose cgroup another process\'s sweep removes while it moves in still gets one (also between the open and the write of cgroup.procs)', async () => {
    // Another agent-hub process sweeping at its start removes an empty run cgroup once, maybe
    // just after spawnInside made it: before it opened cgroup.procs (ENOENT), or after the
    // open and before the write (ENODEV). Either way the run must still start in a cgroup.
    const parent = ownCgroupDir() as string;
    const tag = `test-sweep-race-${randomUUID()}`;
    const dirOf = (i: number) => path.join(parent, RunCgroup.nameOf(`${tag}-${i}`));
    // The sweeper, told a run id, removes its cgroup once, the moment it is there (empty).
    const sweeper = spawn(process.execPath, ['-e', `
      const { rmdirSync } = require('node:fs');
      require('node:readline').createInterface({ input: process.stdin }).on('line', (dir) => {
        process.stdout.write('go\\n');
        for (const until = Date.now() + 50; Date.now() < until;) try { rmdirSync(dir); break; } catch {}
        process.stdout.write('done\\n');
      });
    `], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise((resolve) => sweeper.on('exit', resolve));
    const lines = createInterface({ input: sweeper.stdout })[Symbol.asyncIterator]();
    const n = 2000;
    onTestFinished(async () => {
      sweeper.kill('SIGKILL');
      await exited;
      for (let i = 0; i < n; i++) try { rmdirSync(dirOf(i)); } catch { /* gone */ }
    });
    let without = 0;
    for (let i = 0; i < n; i++) {
      sweeper.stdin.write(`${dirOf(i)}\n`);
      await lines.next(); // go
      if (!RunCgroup.spawnInside(`${tag}-${i}`, () => 0)) without++;
      await lines.next(); // done
      try { rmdirSync(dirOf(i)); } catch { /* the sweeper's */ }
    }
    expect(without).toBe(0);
  }, 60_000);

  it('a worker killed mid-run: the next worker started kills the agent it left running and removes the run\'s cgroup', async () => {
    const prefix = queuePrefix();
    // An agent that writes nothing: one that writes finds its output pipe closed, and may end there.
    const { db, fake, executor } = await queueHub(prefix, { 'connectors/k.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sleep', '30'] } }) }, { sweepMs: 500, stalledMs: 500 });
    const first = await startWorker({ prefix, env: fake.env, name: 'first', args: ['--lost-after', '1s'] });
    const id = (executor.submit({ connectorId: 'k', trigger: 'api' }) as { id: string }).id;
    await eventually(() => expect(getExecution(db, id)?.status).toBe('running'), 10_000);
    await eventually(() => expect(cgroupOf(id)).toBeDefined(), 5000);
    const dir = cgroupOf(id) as string;
    await eventually(() => expect(procsIn(dir).length).toBeGreaterThan(0), 5000);
    const agents = procsIn(dir);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Left alone, the agent would run (and spend) for its 30 s, whatever becomes of the run.
    await new Promise((r) => setTimeout(r, 1000));
    expect(agents.filter(running)).toEqual(agents);
    await startWorker({ prefix, env: fake.env, name: 'second' });
    await eventually(() => expect(agents.filter(running)).toEqual([]), 5000);
    await eventually(() => expect(existsSync(dir)).toBe(false), 5000);
  }, 30_000);

  it('the hub killed mid-run: the next start removes the run\'s cgroup once its agent has ended', async () => {
    const root = gitdir({ 'connectors/h.yaml': yaml({ prompt: 'x\n@fake sleep 30' }) });
    const fake = fakeClaudeEnv();
    const first = await startDaemon(root, fake.env);
    const { id } = (await first.api<{ id: string }>('/api/connectors/h/run', { method: 'POST', body: '{}' })).body;
    await eventually(() => expect(cgroupOf(id)).toBeDefined(), 10_000);
    const dir = cgroupOf(id) as string;
    await eventually(() => expect(procsIn(dir).length).toBeGreaterThan(0), 10_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    await agentEnds(dir);
    await startDaemon(root, fake.env);
    await eventually(() => expect(existsSync(dir)).toBe(false), 5000);
  }, 30_000);
});
