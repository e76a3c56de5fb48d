import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownCgroupDir, RunCgroup } from '../../src/execute/cgroup.js';

/** Whether this machine lets the hub give each run a cgroup (Linux, cgroup v2, write access). */
function cgroupsWritable(): boolean {
  const dir = ownCgroupDir();
  try {
    if (dir) accessSync(dir, constants.W_OK);
    return dir !== null;
  } catch {
    return false;
  }
}

/** The cgroup v2 path a process is in, as /proc tells it. */
const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3);

describe.runIf(cgroupsWritable())('RunCgroup.prepare', () => {
  it('makes the run\'s cgroup before the spawn, off the event loop; spawnInside starts the agent in it and the hub leaves it', async () => {
    const runId = `prepare-${process.pid}-${Date.now()}`;
    const before = cgroupOf(process.pid);
    const ready = await RunCgroup.prepare(runId);
    expect(ready).not.toBeNull();
    const dir = ready?.dir as string;
    expect(path.basename(dir)).toBe(`${RunCgroup.PREFIX}${runId}`);
    expect(existsSync(path.join(dir, 'cgroup.procs'))).toBe(true);
    const inside = RunCgroup.spawnInside(runId, () => spawn('sleep', ['30'], { stdio: 'ignore', detached: true }), ready);
    const child = inside?.started;
    expect(child?.pid).toBeDefined();
    try {
      expect(cgroupOf(child?.pid as number)?.endsWith(`/${RunCgroup.PREFIX}${runId}`)).toBe(true);
      expect(cgroupOf(process.pid)).toBe(before);
      expect(inside?.cgroup.pids()).toEqual([child?.pid]);
    } finally {
      inside?.cgroup.kill();
      await new Promise((r) => child?.once('exit', r));
      inside?.cgroup.remove();
    }
    for (let i = 0; i < 50 && existsSync(dir); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(dir)).toBe(false);
  });

  it('a prepared cgroup whose run does not start is removed by discard()', async () => {
    const ready = await RunCgroup.prepare(`discard-${process.pid}-${Date.now()}`);
    expect(ready && existsSync(ready.dir)).toBe(true);
    RunCgroup.discard(ready);
    expect(existsSync(ready?.dir as string)).toBe(false);
  });
});
