import { constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { bootId, ownIdentity, stillRunning, type ProcessIdentity } from './procfs.js';

/**
 * A cgroup (v2) of its own for one run, where the system lets the hub make one: Linux
 * with the unified hierarchy mounted, and write access to the hub's own cgroup (root, or
 * a systemd unit with `Delegate=yes`). A process cannot leave its cgroup on its own
 * (unlike its process group or its environment), so everything the agent starts after
 * it was moved in is found and killed, whatever it does. Elsewhere: null, and the process
 * group and the run id in the environment do the work.
 */
export class RunCgroup {
  private constructor(readonly dir: string) {}

  /** The prefix of every run's cgroup: only such directories are ever touched. */
  static readonly PREFIX = 'agent-hub-run.';

  /**
   * A run's cgroup is named by the run and by the process that made it (the hub, a worker,
   * `agent-hub run`): `agent-hub-run.<run id>.<pid>-<start time>`. Once that process is gone,
   * what still runs in it has no one to record it, and any agent-hub start may kill it.
   */
  static nameOf(runId: string, owner: ProcessIdentity | null = ownIdentity()): string {
    return `${RunCgroup.PREFIX}${runId}${owner ? `.${owner.pid}-${owner.startTime}` : ''}`;
  }

  /** The process that made a run's cgroup, from its name; null for a name without one (an older agent-hub's). */
  static ownerOf(name: string): ProcessIdentity | null {
    const m = /\.(\d+)-(\d+)$/.exec(name);
    const boot = bootId();
    return m && boot ? { pid: Number(m[1]), startTime: m[2] as string, bootId: boot } : null;
  }

  /**
   * Starts `start()`'s process inside a new cgroup for the run, or returns null (and
   * starts nothing) where the system allows none. The hub steps into the cgroup for the
   * moment of the fork, so the child is in it from its first instruction: moving it in
   * after the spawn would miss what it forks at once (`sh -c 'cmd &'` does, within a
   * millisecond). The spawn is synchronous, so nothing else of the hub's starts meanwhile.
   */
  static spawnInside<T>(runId: string, start: () => T): { cgroup: RunCgroup; started: T } | null {
    const parent = ownCgroupDir();
    if (!parent) return null;
    const dir = path.join(parent, RunCgroup.nameOf(runId));
    const cgroup = new RunCgroup(dir);
    for (let tries = 3; ; tries--) {
      try {
        mkdirSync(dir);
      } catch {
        return null; // read-only, not ours to write, or no cgroup v2 here
      }
      try {
        writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
        break;
      } catch (err) {
        // Removed while still empty by another agent-hub process's sweep (see sweep()): made again.
        // ENOENT when it went before cgroup.procs was opened, ENODEV between the open and the write.
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'ENOENT' || code === 'ENODEV') && tries > 1) continue;
        cgroup.remove();
        return null;
      }
    }
    let started: T;
    try {
      started = start();
    } catch (err) {
      cgroup.leave(parent);
      cgroup.remove();
      throw err;
    }
    cgroup.leave(parent);
    return { cgroup, started };
  }

  /** The hub back to its own cgroup. Should that fail, kill() still spares the hub. */
  private leave(parent: string): void {
    try {
      // Through a descriptor kept open (close-on-exec, as Node opens every file): no agent inherits it.
      parentProcs ??= openSync(path.join(parent, 'cgroup.procs'), constants.O_WRONLY);
      writeSync(parentProcs, String(process.pid));
    } catch {
      try {
        writeFileSync(path.join(parent, 'cgroup.procs'), String(process.pid));
      } catch {
        // stays inside: see kill()
      }
    }
  }

  /** The cgroup a run recorded (a crashed hub's), if it is still there and is one of ours. */
  static at(dir: string): RunCgroup | null {
    return path.basename(dir).startsWith(RunCgroup.PREFIX) && existsSync(path.join(dir, 'cgroup.procs')) ? new RunCgroup(dir) : null;
  }

  /**
   * At the start of a hub or worker: cleans up the run cgroups under this process's own
   * cgroup that a killed agent-hub process (SIGKILL, OOM, power cut) left behind: nothing
   * else ever would.
   * - An empty one is removed (the kernel refuses rmdir of one with processes or children
   *   of its own: EBUSY). A live run of another process sharing this cgroup (workers on one
   *   machine, `agent-hub run` in a terminal, another repository's hub) is safe: its cgroup
   *   is empty only between its mkdir and the first process moved in, which spawnInside()
   *   redoes, and after its agent ended, when its own remove() finds it gone.
   * - One with processes whose maker is gone (its name says which, see nameOf): an agent no
   *   one will record (a killed worker's, a killed `agent-hub run`'s) is killed (cgroup.kill)
   *   and the cgroup removed. A hub's own killed runs are stopped before, gently, by the
   *   crash recovery that knows them (stopOrphans).
   * - One whose maker still runs, or an older agent-hub's without a maker in its name, is
   *   `busy`: left alone, and removed by a later sweep once empty.
   * Returns what it removed, killed and left alone.
   */
  static sweep(): { removed: string[]; killed: string[]; busy: string[] } {
    const removed: string[] = [];
    const killed: string[] = [];
    const busy: string[] = [];
    const parent = ownCgroupDir();
    let names: string[] = [];
    try {
      if (parent) names = readdirSync(parent).filter((n) => n.startsWith(RunCgroup.PREFIX));
    } catch {
      // not readable: nothing to sweep
    }
    for (const name of names) {
      const dir = path.join(parent as string, name);
      try {
        rmdirSync(dir);
        removed.push(dir);
      } catch (err) {
        // ENOENT: its owner removed it meanwhile; anything else (EACCES): not ours to remove.
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') continue;
        const cgroup = new RunCgroup(dir);
        const owner = RunCgroup.ownerOf(name);
        // No process listed, yet busy: killed ones the kernel has not released yet. Tried again for a few seconds.
        if (cgroup.pids().length === 0) cgroup.remove();
        else if (owner && !stillRunning(owner)) {
          cgroup.kill();
          cgroup.remove();
          killed.push(dir);
        } else busy.push(dir);
      }
    }
    return { removed, killed, busy };
  }

  /** The processes in it now. */
  pids(): number[] {
    try {
      return readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILL to everything in it (never the hub), at once where the kernel offers cgroup.kill (5.14+). */
  kill(): void {
    const pids = this.pids();
    // Empty: nothing in it can fork any more, so there is nothing to kill.
    if (pids.length === 0) return;
    if (!pids.includes(process.pid)) {
      try {
        writeFileSync(path.join(this.dir, 'cgroup.kill'), '1');
        return;
      } catch {
        // an older kernel: one by one
      }
    }
    for (const pid of pids.filter((p) => p !== process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** Removes it once it is empty (killed processes take a moment to go), retrying for a few seconds. */
  remove(tries = 50): void {
    try {
      rmdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EBUSY' && tries > 1) setTimeout(() => this.remove(tries - 1), 100).unref();
    }
  }
}

let ownDir: string | null | undefined;
/** The hub's own cgroup.procs, open for writing: where leave() moves it back after each spawn. */
let parentProcs: number | undefined;

/** This process's cgroup v2 directory, or null (no /proc, no unified hierarchy, or not visible). */
export function ownCgroupDir(): string | null {
  if (ownDir !== undefined) return ownDir;
  ownDir = null;
  let self: string;
  let mounts: string;
  try {
    self = readFileSync('/proc/self/cgroup', 'utf8');
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return ownDir;
  }
  const own = self.split('\n').find((l) => l.startsWith('0::'))?.slice(3);
  if (!own) return ownDir;
  for (const line of mounts.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after?.startsWith('cgroup2 ')) continue;
    // Field 4 is the mount's root inside the hierarchy, field 5 where it is mounted.
    const [, , , root = '', mountPoint = ''] = before.split(' ');
    const rel = root === '/' ? own : own === root ? '/' : own.startsWith(`${root}/`) ? own.slice(root.length) : undefined;
    if (rel !== undefined) {
      ownDir = path.join(mountPoint, rel);
      break;
    }
  }
  return ownDir;
}

/**
 * Cleans up the run cgroups a killed hub, worker or `agent-hub run` left under this
 * process's cgroup (see RunCgroup.sweep): the empty ones removed, the agents no one will
 * record killed. Called at a hub's start (by stopOrphans, once the agents it stopped are
 * gone) and at a worker's.
 */
export function sweepRunCgroups(log: Logger): void {
  const { removed, killed, busy } = RunCgroup.sweep();
  if (removed.length) log.info({ count: removed.length }, 'empty run cgroups left by a killed agent-hub process were removed');
  if (killed.length) log.warn({ cgroups: killed }, 'agents a killed agent-hub process (a worker, agent-hub run) left running were killed: no one would record them');
  if (busy.length) log.debug({ cgroups: busy }, 'run cgroups with processes left alone: live runs of live agent-hub processes');
}
