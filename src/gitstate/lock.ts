import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { gitCommandsIn } from '../os/git-processes.js';

/** After a lock has stayed this long, the deferral says how to remove it if nothing holds it. */
export const LONG_LOCK_MS = 2 * 60 * 1000;

/** Operations a person runs over several commands: while one is in progress, the hub waits. */
const IN_PROGRESS: ReadonlyArray<[string, string]> = [
  ['MERGE_HEAD', 'a merge is in progress'],
  ['rebase-merge', 'a rebase is in progress'],
  ['rebase-apply', 'a rebase or git am is in progress'],
  ['CHERRY_PICK_HEAD', 'a cherry-pick is in progress'],
  ['REVERT_HEAD', 'a revert is in progress'],
  ['BISECT_LOG', 'a bisect is in progress'],
];

/**
 * Why the hub must not touch the checked-out branch now, or null. A lock is never removed:
 * git gives no way to tell a crashed command's leftover from a live one (`git commit` holds
 * index.lock while its editor is open), so the hub waits and, once a lock has stayed for
 * long, says how a person can remove it. `refs` are the ref names the commit will move.
 */
export function gitBusy(dirs: { gitDir: string; commonDir: string; top?: string }, refs: readonly string[], now = Date.now()): string | null {
  const { gitDir, commonDir } = dirs;
  // A person's git command that has not taken its lock yet, or has let it go while an editor is
  // open (`git commit` reads HEAD first and moves it after): committing now would make it fail.
  const running = dirs.top ? gitCommandsIn(dirs.top) : [];
  if (running.length) return `a git command is running in this repository (pid ${running[0]?.pid}: ${running[0]?.command}); the hub commits once it has finished`;
  for (const [file, what] of IN_PROGRESS) {
    if (existsSync(path.join(gitDir, file))) return `${what} (.git/${file}); the hub commits once it is finished or aborted`;
  }
  // index and HEAD belong to the work tree (a linked worktree has its own); refs are shared.
  const locks = [...['index', 'HEAD'].map((n) => ({ name: n, dir: gitDir })), ...refs.map((n) => ({ name: n, dir: commonDir }))];
  for (const { name, dir } of locks) {
    const lock = path.join(dir, `${name}.lock`);
    const st = statSync(lock, { throwIfNoEntry: false });
    if (!st) continue;
    const rel = `.git/${name}.lock`;
    const age = now - st.mtimeMs;
    return age < LONG_LOCK_MS
      ? `another git command holds ${rel}`
      : `${rel} has been there for ${Math.round(age / 60_000)} min: if no git command is running (an editor left open by git commit counts), remove it`;
  }
  return null;
}
