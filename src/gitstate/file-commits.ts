import { git } from './git.js';
import { readRevision } from './revision.js';

/**
 * For each group of files (a connector's file, its prompt file, its partials): the commit
 * that last touched any of them, when all are committed and unchanged in the work tree;
 * null when one is modified, staged, untracked or never committed. Read live, so it moves
 * with HEAD. Two git processes whatever the number of groups; undefined outside git.
 */
export async function lastCommits(root: string, groups: ReadonlyMap<string, readonly string[]>): Promise<Map<string, string | null> | undefined> {
  const paths = [...new Set([...groups.values()].flat())];
  if (paths.length === 0) return new Map();
  const rev = await readRevision(root, paths);
  if (!rev) return undefined;
  const clean = paths.filter((p) => !rev.dirty.has(p));
  const touched = await lastTouch(root, clean);
  const out = new Map<string, string | null>();
  for (const [key, files] of groups) {
    let best: { sha: string; order: number } | undefined;
    for (const f of files) {
      const t = rev.dirty.has(f) ? undefined : touched.get(f);
      if (!t) {
        best = undefined;
        break;
      }
      if (!best || t.order < best.order) best = t;
    }
    out.set(key, best?.sha ?? null);
  }
  return out;
}

/** The newest commit on HEAD touching each path, with its position in the log (0 = newest). */
async function lastTouch(root: string, paths: readonly string[]): Promise<Map<string, { sha: string; order: number }>> {
  const found = new Map<string, { sha: string; order: number }>();
  if (paths.length === 0) return found;
  const pathspec = paths.length <= 500 ? paths.map((p) => `:(literal)${p}`) : ['.'];
  // --relative: names relative to the hub root, which may sit below the top of the work tree.
  const { stdout } = await git(root, ['log', '--format=%x01%H', '--name-only', '--no-renames', '--relative', '-z', 'HEAD', '--', ...pathspec]);
  const wanted = new Set(paths);
  let sha = '';
  let order = -1;
  for (const raw of stdout.split('\0')) {
    const token = raw.replace(/^\n+/, '');
    if (token.startsWith('\x01')) {
      const [head, first] = token.slice(1).split('\n');
      sha = head ?? '';
      order++;
      if (first) note(first);
      continue;
    }
    if (token) note(token);
    if (found.size === wanted.size) break;
  }
  return found;

  function note(file: string): void {
    if (wanted.has(file) && !found.has(file)) found.set(file, { sha, order });
  }
}
