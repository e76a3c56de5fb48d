import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findByEnv, findByEnvSoon, isKernelThread } from '../../src/execute/procfs.js';

/** Listings of /proc made by the code under test. */
const listings = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readdirSync = ((dir: string, ...rest: unknown[]) => {
    if (dir === '/proc') listings.count++;
    return (fs.readdirSync as (...a: unknown[]) => unknown)(dir, ...rest);
  }) as typeof fs.readdirSync;
  return { ...fs, readdirSync, default: { ...fs, readdirSync } };
});

// The run-id scan reads each process's environment once and keeps what it read for the
// scans that follow at once (runs ending together): a process started in between, such as
// an agent's escaped descendant, must still be found, and one that ended must not be.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

function sleeper(env: Record<string, string>, script = 'exec sleep 30'): ChildProcess {
  const c = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'ignore', detached: true });
  started.push(c);
  return c;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
};

describe.skipIf(!existsSync('/proc/self/environ'))('findByEnv', () => {
  it('finds processes started between two scans close together, and forgets those that ended', async () => {
    const id = `run-${process.pid}-${Date.now()}`;
    const first = sleeper({ SCAN_TEST_ID: id });
    expect(await until(() => findByEnv('SCAN_TEST_ID', id).includes(first.pid as number))).toBe(true);
    // Right after that scan: a new process of the run, and one that dropped into its own session.
    const second = sleeper({ SCAN_TEST_ID: id, OTHER: 'x' });
    const escaped = sleeper({ SCAN_TEST_ID: id }, 'setsid sleep 30 & echo $! >/dev/null; exec sleep 30');
    expect(await until(() => findByEnv('SCAN_TEST_ID', id).filter((p) => p === second.pid || p === escaped.pid).length === 2)).toBe(true);
    expect(findByEnv('SCAN_TEST_ID', `${id}-other`)).toEqual([]);
    // The setsid'd grandchild carries the id too.
    expect(await until(() => findByEnv('SCAN_TEST_ID', id).length >= 4)).toBe(true);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await until(() => !findByEnv('SCAN_TEST_ID', id).includes(first.pid as number))).toBe(true);
    for (const pid of findByEnv('SCAN_TEST_ID', id)) process.kill(pid, 'SIGKILL');
  });
});

describe.skipIf(!existsSync('/proc/self/environ'))('findByEnvSoon', () => {
  it('serves every run asking in one turn of the event loop with one scan, made after they all asked', async () => {
    const id = `run-${process.pid}-${Date.now()}`;
    const a = sleeper({ SCAN_TEST_ID: `${id}-a` });
    const b = sleeper({ SCAN_TEST_ID: `${id}-b` });
    expect(await until(() => findByEnv('SCAN_TEST_ID', `${id}-a`).length === 1 && findByEnv('SCAN_TEST_ID', `${id}-b`).length === 1)).toBe(true);
    listings.count = 0;
    const forA = findByEnvSoon('SCAN_TEST_ID', `${id}-a`);
    const forB = findByEnvSoon('SCAN_TEST_ID', `${id}-b`);
    const none = findByEnvSoon('SCAN_TEST_ID', `${id}-c`);
    // Started after the runs asked, in the same turn: the scan still sees it.
    const late = sleeper({ SCAN_TEST_ID: `${id}-a` });
    expect((await forA).sort()).toEqual([a.pid, late.pid].sort());
    expect(await forB).toEqual([b.pid]);
    expect(await none).toEqual([]);
    expect(listings.count).toBe(1);
  });
});

describe.skipIf(!existsSync('/proc/2/stat'))('isKernelThread', () => {
  it('tells kernel threads (no environment, ever) from processes', () => {
    // pid 2 is kthreadd wherever the host's /proc is visible; it may be another process in a pid namespace.
    const kthreadd = readFileSync('/proc/2/stat', 'utf8').includes('(kthreadd)');
    expect(isKernelThread(2)).toBe(kthreadd);
    expect(isKernelThread(process.pid)).toBe(false);
    expect(isKernelThread(999_999_999)).toBe(false);
  });
});
