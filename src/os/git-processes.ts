import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** A git command someone else is running in a repository. */
export interface GitCommand {
  pid: number;
  /** Its command line, as `ps` would show it (`git commit -a`). */
  command: string;
}

/** The parent pid of a process, from /proc/<pid>/stat (after the parenthesised name, which may hold spaces). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether `pid` descends from this process (the hub's own git commands, their hooks). */
function ours(pid: number): boolean {
  for (let p: number | undefined = pid, depth = 0; p && p > 1 && depth < 16; depth++) {
    if (p === process.pid) return true;
    p = parentOf(p);
  }
  return false;
}

/**
 * The git commands running in the work tree `top` (their working directory inside it) that
 * this process did not start: a person's `git commit` waiting for its editor, a rebase, an
 * IDE's fetch. Read from /proc; empty where there is none (macOS, the BSDs).
 */
export function gitCommandsIn(top: string): GitCommand[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: GitCommand[] = [];
  for (const name of pids) {
    const pid = Number(name);
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'git') continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== top && !cwd.startsWith(`${top}${path.sep}`)) continue;
      if (ours(pid)) continue;
      out.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}
