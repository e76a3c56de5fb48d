import { accessSync, constants, readFileSync } from 'node:fs';
import { ownCgroupDir } from '../../src/execute/cgroup.js';

/**
 * True while a process runs: it exists and is not a zombie. A killed process whose parent
 * has not reaped it yet still answers `kill -0`, but it no longer does anything.
 */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: kill -0 is all there is
  }
}

/** Whether this machine lets the hub give each run a cgroup (Linux, cgroup v2, write access). */
export function cgroupsWritable(): boolean {
  const dir = ownCgroupDir();
  try {
    if (dir) accessSync(dir, constants.W_OK);
    return dir !== null;
  } catch {
    return false;
  }
}
