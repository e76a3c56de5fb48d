import { git } from './git.js';

/** HEAD and the working-tree changes of a repository, enough to tell if a file is committed and clean. */
export interface Revision {
  head: string;
  /** Repository-relative (to our root) paths that are modified, staged, untracked or deleted. */
  dirty: Set<string>;
}

/**
 * Reads HEAD and `git status` (of `paths` only, when given: much faster in a large tree);
 * undefined when the directory is not in a git repository or has no commit.
 */
export async function readRevision(root: string, paths?: readonly string[]): Promise<Revision | undefined> {
  let head: string;
  let prefix: string;
  try {
    // Printed in argument order: the prefix (an empty line at the top), then HEAD.
    const out = await git(root, ['rev-parse', '--show-prefix', '--verify', '--quiet', 'HEAD']);
    const lines = out.stdout.split('\n');
    prefix = (lines[0] ?? '').trim();
    head = (lines[1] ?? '').trim();
    if (!/^[0-9a-f]{40,64}$/.test(head)) return undefined;
  } catch {
    return undefined;
  }
  // Porcelain paths are relative to the top of the work tree, ours to the hub root inside it.
  const pathspec = paths && paths.length <= 500 ? paths.map((p) => `:(literal)${p}`) : ['.'];
  const { stdout: status } = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...pathspec]);
  const dirty = new Set<string>();
  const entries = status.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    const files = [entry.slice(3)];
    // A rename or copy is followed by its source path, which changed as well.
    if (entry[0] === 'R' || entry[0] === 'C') files.push(entries[++i] ?? '');
    for (const file of files) if (file.startsWith(prefix)) dirty.add(file.slice(prefix.length));
  }
  return { head, dirty };
}

/** The commit a set of files came from: HEAD when all are committed and unchanged, else null. */
export function commitOf(rev: Revision | undefined, files: readonly string[]): string | null {
  if (!rev) return null;
  return files.some((f) => rev.dirty.has(f)) ? null : rev.head;
}
