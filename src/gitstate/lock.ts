import { rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** A lock older than this was left by a crashed git, not held by a running one. */
export const STALE_LOCK_MS = 2 * 60 * 1000;

export type LockState = 'none' | 'removed-stale' | 'held';

/**
 * Looks at `<gitdir>/index.lock`. A lock older than STALE_LOCK_MS is a crash's leftover
 * and is removed; a fresh one belongs to a git command running now, so we wait for the
 * next interval rather than break it.
 */
export function checkIndexLock(gitDir: string, now = Date.now()): LockState {
  const lock = path.join(gitDir, 'index.lock');
  const st = statSync(lock, { throwIfNoEntry: false });
  if (!st) return 'none';
  if (now - st.mtimeMs < STALE_LOCK_MS) return 'held';
  rmSync(lock, { force: true });
  return 'removed-stale';
}
