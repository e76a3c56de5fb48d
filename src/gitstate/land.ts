import { closeSync, copyFileSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { git } from './git.js';
import { writeWithoutLinks } from '../execute/safe-write.js';
import { moveRef, type BuiltCommit } from './plumbing.js';
import type { StagedFile } from './author.js';

/** Above this size (~20,000 entries) the user's index is kept in git's split-index mode. */
const SPLIT_INDEX_BYTES = 2 * 1024 * 1024;

/**
 * Lands a built commit on the checked-out branch and our entries in the user's index, the
 * way git itself does, so a failure at any step (a full disk) leaves HEAD and the index
 * agreeing on our paths: under `index.lock` (taken, never broken), the new index is written
 * to a file of its own first; then the branch moves; then one rename puts the index in
 * place. When the commit was already made (a retry after the bookkeeping failed), only an
 * index that lags behind is brought up to date. Returns why it was put off, or null.
 */
export async function landInIndex(root: string, paths: { gitDir: string; top: string }, ref: string, built: BuiltCommit): Promise<string | null> {
  if (!built.sha && (await indexHas(paths.top, built.entries))) return null;
  const index = path.join(paths.gitDir, 'index');
  const lock = `${index}.lock`;
  try {
    closeSync(openSync(lock, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'another git command holds .git/index.lock';
    throw err;
  }
  const next = path.join(paths.gitDir, 'agent-hub-index');
  try {
    const st = statSync(index, { throwIfNoEntry: false });
    rmSync(next, { force: true });
    if (st) {
      copyFileSync(index, next);
      // The copy keeps the index's time, so git still sees which entries are racily clean.
      utimesSync(next, st.atime, st.mtime);
    }
    // A large index (tens of thousands of run records) is written in git's split mode, so
    // adding a batch rewrites a small file, not the whole index; small ones stay as they are.
    const large = (st?.size ?? 0) > SPLIT_INDEX_BYTES;
    await git(root, [...(large ? ['-c', 'core.splitIndex=true'] : []), 'update-index', '--add', '--index-info'], { input: `${built.entries.join('\n')}\n`, env: { GIT_INDEX_FILE: next } });
    if (built.sha) await moveRef(root, ref, built.sha, built.tip, built.message);
    renameSync(next, index);
  } finally {
    rmSync(next, { force: true });
    rmSync(lock, { force: true });
  }
  return null;
}

/** Whether the user's index has exactly these entries (`<mode> <blob>\t<path>`, top-relative). */
async function indexHas(top: string, entries: readonly string[]): Promise<boolean> {
  if (!entries.length) return true;
  const want = new Map(entries.map((e) => [e.slice(e.indexOf('\t') + 1), e.slice(0, e.indexOf('\t'))]));
  const names = [...want.keys()];
  let out = '';
  // (ls-files takes no pathspec file before git 2.40: the paths go as arguments, a few hundred at a time.)
  for (let i = 0; i < names.length; i += 500) out += (await git(top, ['--literal-pathspecs', 'ls-files', '-s', '-z', '--full-name', '--', ...names.slice(i, i + 500)])).stdout;
  const have = new Map(out.split('\0').filter(Boolean).map((l) => [l.slice(l.indexOf('\t') + 1), l.slice(0, l.indexOf('\t')).replace(/ 0$/, '')]));
  return [...want].every(([p, meta]) => have.get(p) === meta);
}

/**
 * Puts the committed files in the work tree where they are missing or differ, so it matches
 * HEAD; never through a symlink someone planted in the work tree (the write is refused).
 */
export function writeWorkTree(top: string, entries: readonly string[], files: readonly StagedFile[]): void {
  entries.forEach((e, i) => {
    const file = files[i] as StagedFile;
    const rel = e.slice(e.indexOf('\t') + 1);
    const dest = path.join(top, rel);
    const bytes = readFileSync(file.source);
    const st = lstatSync(dest, { throwIfNoEntry: false });
    if (st?.isFile() && readFileSync(dest).equals(bytes)) return;
    writeWithoutLinks(top, rel, bytes);
  });
}
