import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { pendingCount } from '../../src/registry/git-outbox.js';
import { git, testdir, writeFiles } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const root = process.getuid?.() === 0;
if (!root) console.log('skipped: the disk-full test mounts a small tmpfs, which needs root');

/** A small tmpfs, unmounted when the test finishes. */
function tinyDisk(size: string): string {
  const dir = path.join(testdir(), 'disk');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  onTestFinished(() => void execFileSync('umount', ['-l', dir]));
  return dir;
}

/** Fills the disk with one file; returns it. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) appendFileSync(filler, chunk);
  } catch {
    // full
  }
  for (const small of [4096, 512, 1]) {
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(small, 1));
    } catch {
      // full at this grain too
    }
  }
  return filler;
}

describe.skipIf(!root)('a full disk under the repository', () => {
  it('commits fail cleanly, the index never lags behind HEAD, and once space returns every run is committed exactly once', { timeout: 120_000 }, async () => {
    const disk = tinyDisk('4m');
    const repo = path.join(disk, 'repo');
    // Enough tracked files that the index takes several pages: writing it can fail where moving a ref did not.
    const notes = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`notes/${i}.md`, `${i}\n`]));
    writeFiles(repo, { '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': JSON.stringify({ prompt: 'hello' }), ...notes });
    git(repo, 'init', '-q', '--initial-branch=main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'initial');
    const hub = new Hub({ repo, env: fakeClaudeEnv().env });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await hub.executor.waitFinal((hub.run('a') as { id: string }).id)).id);
    expect(pendingCount(hub.db)).toBe(6); // three records and their transcripts

    // Full: then give the space back a page at a time, so each step of the commit in turn is the one that fails.
    const filler = fill(disk);
    let failures = 0;
    for (let size = statSync(filler).size; pendingCount(hub.db) > 0 && size > 0; size = Math.max(0, size - 4096)) {
      truncateSync(filler, size);
      try {
        await hub.gitState.commit();
      } catch {
        failures++; // ENOSPC at one step or another: the records stay queued
      }
      // Whatever failed, a person's next `git commit` would commit nothing of ours: the index agrees with HEAD on state/.
      expect(git(repo, 'diff', '--cached', '--name-status', '--', 'state')).toBe('');
    }
    expect(failures).toBeGreaterThan(0);
    truncateSync(filler, 0);
    await hub.gitState.commit();
    expect(pendingCount(hub.db)).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const trailers = git(repo, 'log', '--format=%B').match(/^Agent-Hub-Run: \S+/gm) ?? [];
    expect(trailers.sort()).toEqual(ids.map((id) => `Agent-Hub-Run: ${id}`).sort());
  });
});
