import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Resolves `relative` against `baseDir` and returns the repository-relative path, or
 * undefined when the result would leave the repository (`../../etc/passwd`, absolute paths).
 */
export function insideRepo(root: string, baseDir: string, relative: string): string | undefined {
  if (path.isAbsolute(relative) || relative.includes('\0')) return undefined;
  const abs = path.resolve(root, baseDir, relative);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** A symlink met on a path inside the repository: where it is, where it points, whether that is outside. */
export interface LinkOnPath {
  /** Repository-relative path of the symlink itself. */
  at: string;
  /** What it resolves to (its text when it dangles). */
  target: string;
  leaves: boolean;
}

/**
 * The first symlink on repository-relative `rel`, walking from the root and stopping at
 * the first component that does not exist; undefined when there is none. A symlink that
 * resolves (or, dangling, points) outside the repository is marked `leaves`.
 */
export function symlinkOnPath(root: string, rel: string): LinkOnPath | undefined {
  let abs = root;
  for (const part of rel.split('/')) {
    abs = path.join(abs, part);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (!st.isSymbolicLink()) continue;
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      target = path.resolve(path.dirname(abs), readlinkSync(abs)); // dangling: judge by what it names
    }
    return { at: path.relative(root, abs).split(path.sep).join('/'), target, leaves: outside(root, target) };
  }
  return undefined;
}

/**
 * The files repository-relative `rel` is read through when it is a symlink (or a chain of
 * them): each link's target inside the repository, dangling or not. Editing one changes what
 * `rel` reads, while its file event names the target alone: as deps they send such an event
 * to the full pass (reconcile/changed.ts) and into the file's cache key.
 */
export function linkTargets(root: string, rel: string): string[] {
  const out: string[] = [];
  let at = rel;
  for (let hops = 0; hops < 8; hops++) {
    const abs = path.join(root, at);
    // Most files are no link: an lstat that cannot throw says so for a fraction of a failed readlink's cost.
    if (!lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink()) break;
    let text: string;
    try {
      text = readlinkSync(abs);
    } catch {
      break; // replaced meanwhile
    }
    const to = path.resolve(root, path.dirname(at), text);
    const next = path.relative(root, to).split(path.sep).join('/');
    if (next === '' || outside(root, to) || next === rel || out.includes(next)) break;
    out.push(next);
    at = next;
  }
  return out;
}

/** Whether an absolute real path is outside the repository. */
function outside(root: string, real: string): boolean {
  const fromRoot = path.relative(root, real);
  return fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot);
}

/**
 * Where repository-relative `rel` leaves the repository through symlinks (links within it
 * are fine for reading), judged by the real path of its longest existing prefix; undefined
 * when it stays inside. Names the shortest prefix that already resolves outside.
 */
export function linkLeavingRepo(root: string, rel: string): LinkOnPath | undefined {
  const parts = rel.split('/');
  const real = (n: number): string | undefined => {
    try {
      return realpathSync(path.join(root, ...parts.slice(0, n)));
    } catch {
      return undefined;
    }
  };
  let n = parts.length;
  let resolved = real(n);
  while (resolved === undefined && n > 1) resolved = real(--n);
  if (resolved === undefined || !outside(root, resolved)) return undefined;
  for (let i = 1; i <= n; i++) {
    const target = real(i);
    if (target !== undefined && outside(root, target)) return { at: parts.slice(0, i).join('/'), target, leaves: true };
  }
  return undefined;
}

/** A sentence about a symlink on a path, for errors. */
export function describeLink(root: string, link: LinkOnPath): string {
  const to = link.leaves ? link.target : path.relative(root, link.target).split(path.sep).join('/') || '.';
  return link.leaves ? `"${link.at}" is a symlink to ${to}, outside the repository` : `"${link.at}" is a symlink (to ${to})`;
}
