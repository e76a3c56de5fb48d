import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, LockedError } from '../../src/daemon/lock.js';
import { gitdir, testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { running } from '../helpers/procs.js';
import { startDaemon } from '../helpers/daemon.js';
import type { Logger } from '../../src/log/logger.js';

/** A lock file as an older agent-hub wrote it: the pid alone. */
function writeOldLock(root: string, pid: number): string {
  const file = path.join(root, '.agent-hub', 'hub.lock');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
  return file;
}

/** A process this test owns, killed when it ends. */
function own(child: ChildProcess): ChildProcess {
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child;
}

/** Collects warnings, as the daemon's log would show them. */
function warnings(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const noop = () => {};
  return { lines, log: { debug: noop, info: noop, error: noop, warn: (_o: object, msg?: string) => lines.push(msg ?? '') } };
}

describe('the hub lock', () => {
  it('a lock whose pid now belongs to an unrelated process (a reboot reused it) does not block the start', async () => {
    const root = testdir();
    const sleeper = own(spawn('sleep', ['30'], { stdio: 'ignore' }));
    const file = writeOldLock(root, sleeper.pid as number);
    const { log, lines } = warnings();
    const release = acquireLock(root, log);
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid}\nagent-hub start-time=\\d+ boot=[\\w-]+\n$`));
    expect(lines.join('\n')).toContain(`stale lock ${file} (pid ${sleeper.pid}) taken over: its pid now belongs to another program (sleep)`);
    release();
    // The current format names the process's start: the same pid started at another time is another process.
    writeFileSync(file, `${sleeper.pid}\nagent-hub start-time=1 boot=${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}\n`);
    acquireLock(root, log)();
    expect(lines.join('\n')).toContain('its pid now belongs to another process');
  });

  it('a lock whose hub was killed but not reaped yet (a zombie) does not block its restart', async () => {
    const root = testdir();
    // `sleep 0` exits at once and its parent, exec'd into `sleep 30`, never reaps it.
    const parent = own(spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    const zombie = await new Promise<number>((resolve) => parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await eventually(() => expect(running(zombie)).toBe(false));
    writeOldLock(root, zombie);
    const release = acquireLock(root);
    release();
  });

  it('a lock held by a running hub still refuses, whether the lock is in the current or the old format', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': 'prompt: hi\n' });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const pid = d.proc.pid as number;
    expect(() => acquireLock(root)).toThrow(LockedError);
    expect(() => acquireLock(root)).toThrow(`another agent-hub (pid ${pid}) is already running on this repository`);
    writeOldLock(root, pid);
    expect(() => acquireLock(root)).toThrow(`another agent-hub (pid ${pid}) is already running on this repository`);
    d.proc.kill('SIGTERM');
    await d.exited;
  });
});
