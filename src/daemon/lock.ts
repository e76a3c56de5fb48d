import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { bootId, cmdline, identify, procStat } from '../execute/procfs.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { EXIT, UserError } from '../core/errors.js';

/** Another hub already runs on this repository. */
export class LockedError extends UserError {
  constructor(readonly pid: number, file: string) {
    super(`another agent-hub (pid ${pid}) is already running on this repository (lock ${file}); stop it first, or remove the lock if that process is gone`, EXIT.locked);
  }
}

/**
 * What the lock file says: the pid on the first line (what older versions wrote, and what
 * `kill $(head -1 hub.lock)` wants), then the process's start time and boot, which tell
 * that process apart from a later one given the same pid.
 */
interface Holder {
  pid: number;
  startTime?: string;
  bootId?: string;
}

function parse(text: string): Holder | null {
  const [first, second = ''] = text.split('\n');
  const pid = Number(first?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(second)?.[1];
  const startTime = field('start-time');
  const boot = field('boot');
  return { pid, ...(startTime ? { startTime } : {}), ...(boot ? { bootId: boot } : {}) };
}

function format(pid: number): string {
  const me = identify(pid);
  return me ? `${pid}\nagent-hub start-time=${me.startTime} boot=${me.bootId}\n` : `${pid}\n`;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why the process named by a lock is not a running hub, or null when it may be one. Where
 * /proc is missing, a live pid counts as a hub (the old rule: refuse rather than run two).
 */
function staleBecause(h: Holder): string | null {
  if (h.pid === process.pid) return 'it names this process';
  if (!exists(h.pid)) return 'that process is gone';
  const stat = procStat(h.pid);
  if (!stat) return null;
  if (stat.state === 'Z') return 'that process has exited (a zombie not reaped yet)';
  if (h.bootId && h.bootId !== bootId()) return 'it was taken before the last reboot';
  if (h.startTime) return h.startTime === stat.startTime ? null : 'its pid now belongs to another process';
  // An older lock, pid alone: a hub is node running agent-hub.
  const argv = cmdline(h.pid);
  if (argv && !argv.some((a) => a.includes('agent-hub'))) return `its pid now belongs to another program (${path.basename(argv[0] ?? '?')})`;
  return null;
}

/** Creates `file` holding `text`, failing with EEXIST when it exists. */
function create(file: string, text: string): void {
  // Written aside, then linked into place: the lock appears whole or not at all, so a
  // start never reads a half-written one and takes it for stale.
  const aside = `${file}.${process.pid}`;
  writeFileSync(aside, text);
  try {
    linkSync(aside, file);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
    // A file system without hard links: create it in place.
  } finally {
    rmSync(aside, { force: true });
  }
  const fd = openSync(file, 'wx');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * One hub per repository: an exclusive lock file naming our process. A lock whose process
 * is not a running hub (gone, a zombie, a pid reused after a reboot or by another
 * program) is taken over, with a warning. Returns the release function.
 */
export function acquireLock(root: string, log: Logger = silentLogger): () => void {
  const file = path.join(root, '.agent-hub', 'hub.lock');
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      create(file, format(process.pid));
      return () => {
        try {
          if (parse(readFileSync(file, 'utf8'))?.pid === process.pid) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      const holder = parse(text);
      const why = holder ? staleBecause(holder) : 'it names no process';
      if (holder && why === null) throw new LockedError(holder.pid, file);
      log.warn({ lock: file, pid: holder?.pid }, `stale lock ${file} (pid ${holder?.pid ?? '?'}) taken over: ${why}`);
      // Removed only if unchanged, so a hub that took it over meanwhile keeps it.
      try {
        if (readFileSync(file, 'utf8') === text) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    }
  }
  throw new UserError(`could not take the lock ${file}: other processes keep taking it; try again`, EXIT.locked);
}

/** Who holds a repository's lock, as `agent-hub status` tells it. */
export interface LockState {
  file: string;
  pid: number | null;
  /** True when the named process is a running hub; false for a stale lock. */
  running: boolean;
  /** Why a lock left behind does not count (the next start takes it over). */
  stale?: string;
}

/** The repository's lock and whether its holder runs; undefined when there is no lock. Reads only. */
export function lockState(root: string): LockState | undefined {
  const file = path.join(root, '.agent-hub', 'hub.lock');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const holder = parse(text);
  const why = holder ? staleBecause(holder) : 'it names no process';
  return { file, pid: holder?.pid ?? null, running: why === null, ...(why === null ? {} : { stale: why }) };
}
