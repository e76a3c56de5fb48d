import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * False when git cannot see a repository at `root`: no `.git` (directory or file, as in a
 * worktree) in it or any directory above, no bare repository there, and no GIT_DIR. Asking
 * git costs a process (and loading execa) on every apply; a few stats tell the same for a
 * hub kept outside git. True means "ask git", which still decides.
 */
export function mayBeInGit(root: string): boolean {
  if (process.env.GIT_DIR) return true;
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return true;
    if (existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects'))) return true; // a bare repository
    if (path.dirname(dir) === dir) return false;
  }
}
