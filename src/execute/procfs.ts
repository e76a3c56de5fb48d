import { readdirSync, readFileSync } from 'node:fs';

/**
 * What Linux's /proc says about processes. Everything here returns null or an empty list
 * where there is no /proc (macOS, the BSDs): callers then fall back to what signals alone
 * can do, and say so.
 */

/** One process across pid reuse: a pid is reused, the pid with its start time and the boot are not. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  startTime: string;
  /** /proc/sys/kernel/random/boot_id: start times count from this boot. */
  bootId: string;
}

let cachedBoot: string | null | undefined;

/** This boot's id, or null without /proc. */
export function bootId(): string | null {
  if (cachedBoot === undefined) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBoot = null;
    }
  }
  return cachedBoot;
}

export interface ProcStat {
  /** R, S, D, Z (zombie: exited, not reaped yet), T… */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 9: the kernel's PF_* flags (PF_KTHREAD: a kernel thread). */
  flags: number;
  startTime: string;
}

/** /proc/<pid>/stat, or null when the process is gone (or there is no /proc). */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so field n is f[n - 3].
  const [state, ppid, pgid, flags, startTime] = [f[0], f[1], f[2], f[6], f[19]];
  if (!state || !startTime) return null;
  return { state, ppid: Number(ppid), pgid: Number(pgid), flags: Number(flags), startTime };
}

/** The identity of a live process, or null when it is gone or /proc is missing. */
export function identify(pid: number): ProcessIdentity | null {
  const stat = procStat(pid);
  const boot = bootId();
  return stat && boot ? { pid, startTime: stat.startTime, bootId: boot } : null;
}

let own: ProcessIdentity | null | undefined;

/** This process's identity: the same for its whole life, so /proc is read for it once. */
export function ownIdentity(): ProcessIdentity | null {
  if (own === undefined) own = identify(process.pid);
  return own;
}

/** True when `id` is this very process: its pid, start time and boot (not an earlier one that had its pid). */
export function isThisProcess(id: ProcessIdentity): boolean {
  const self = ownIdentity();
  return self !== null && id.pid === self.pid && id.startTime === self.startTime && id.bootId === self.bootId;
}

/** True when this exact process still runs: same boot, same start time, not a zombie. */
export function stillRunning(id: ProcessIdentity): boolean {
  const stat = procStat(id.pid);
  return stat !== null && stat.state !== 'Z' && stat.startTime === id.startTime && bootId() === id.bootId;
}

/** A process's argv, or null when it is gone, not readable, or /proc is missing. */
export function cmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : null;
  } catch {
    return null;
  }
}

/** The pids of processes whose children are listed by the kernel (threads included). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ')) if (c) out.push(Number(c));
    } catch {
      // the thread ended, or the kernel lacks CONFIG_PROC_CHILDREN
    }
  }
  return out;
}

/** What scans read of each process's environment: the values of one variable, by pid. */
interface EnvCache {
  at: number;
  values: Map<number, string[]>;
}
const envCaches = new Map<string, EnvCache>();

/**
 * A pid seen in two scans this close together is the same process: for it to be another,
 * the first would have had to end and the kernel to hand out every other pid (pid_max,
 * 32,768 or more) in between.
 */
const SAME_PROCESS_MS = 250;

/**
 * Processes whose environment holds `name=value` exactly (this one excluded). Environments
 * are inherited across fork, exec and setsid, so this finds what a process started however
 * far it went, unless it replaced its environment. Only processes this user may read are
 * seen, which are the only ones it could signal anyway.
 *
 * Each scan lists /proc and reads the environment only of processes the last scan (within
 * SAME_PROCESS_MS) did not see: a run's descendant is a new process, read when first seen.
 * Runs ending together (8 at a time, many times a second) read each environment once
 * instead of once per run. A process whose environment could not be read, or was empty
 * (exiting, or in the middle of an exec), is read again next time; a kernel thread (empty
 * for good, and most of /proc on a small machine) is known as one after its first look.
 */
export function findByEnv(name: string, value: string): number[] {
  return findByEnvAll(name, new Set([value])).get(value) ?? [];
}

/** findByEnv for several values at once, in one pass over /proc: the pids found, by value (absent: none). */
export function findByEnvAll(name: string, wanted: ReadonlySet<string>): Map<string, number[]> {
  const found = new Map<string, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  const now = performance.now();
  let cache = envCaches.get(name);
  if (!cache || now - cache.at > SAME_PROCESS_MS) envCaches.set(name, (cache = { at: now, values: new Map() }));
  cache.at = now;
  const key = Buffer.from(`\0${name}=`);
  const listed = new Set<number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const pid = Number(entry);
    listed.add(pid);
    let values = cache.values.get(pid);
    if (!values) {
      values = envValues(pid, key) ?? (isKernelThread(pid) ? NONE : undefined);
      if (values) cache.values.set(pid, values);
    }
    for (const v of values ?? NONE) if (wanted.has(v)) found.set(v, [...(found.get(v) ?? []), pid]);
  }
  for (const pid of cache.values.keys()) if (!listed.has(pid)) cache.values.delete(pid);
  return found;
}

/** Scans asked for in this turn of the event loop, by variable name: the values wanted, and who waits. */
const soon = new Map<string, Array<{ value: string; resolve: (pids: number[]) => void }>>();

/**
 * findByEnv made once for every run that asks in the same turn of the event loop (runs
 * ending together: their exits are handled in one turn), right after that turn's I/O: each
 * asker gets a scan made after it asked, and one listing of /proc serves them all.
 */
export function findByEnvSoon(name: string, value: string): Promise<number[]> {
  return new Promise((resolve) => {
    let waiting = soon.get(name);
    if (!waiting) {
      soon.set(name, (waiting = []));
      setImmediate(() => {
        soon.delete(name);
        const found = findByEnvAll(name, new Set(waiting?.map((w) => w.value)));
        for (const w of waiting ?? []) w.resolve(found.get(w.value) ?? []);
      });
    }
    waiting.push({ value, resolve });
  });
}

/** Every value `key` (`\0NAME=`) has in a process's environment, or undefined when it could not be read or was empty. */
function envValues(pid: number, key: Buffer): string[] | undefined {
  let env: Buffer;
  try {
    env = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined; // gone, or another user's
  }
  if (env.length === 0) return undefined;
  // A NUL before makes the first variable match like the others.
  const all = Buffer.concat([NUL, env]);
  const values: string[] = [];
  for (let at = all.indexOf(key); at >= 0; at = all.indexOf(key, at + 1)) {
    const start = at + key.length;
    const end = all.indexOf(0, start);
    values.push(all.toString('utf8', start, end < 0 ? all.length : end));
  }
  return values;
}

const NUL = Buffer.from([0]);
const NONE: string[] = [];

/** PF_KTHREAD in the flags of /proc/<pid>/stat (field 9): a kernel thread, which never has an environment. */
const PF_KTHREAD = 0x00200000;

export function isKernelThread(pid: number): boolean {
  return ((procStat(pid)?.flags ?? 0) & PF_KTHREAD) !== 0;
}
