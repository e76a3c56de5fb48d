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
