import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../core/types.js';

/**
 * Why a listed connector file could not be read — a dangling symlink, a loop of links, no
 * permission — as its diagnostic. Undefined when there is no file to speak of: removed
 * while listing, or a directory (the loader walks no linked directory). A connector whose
 * file breaks so keeps its last good version, as with any invalid file.
 */
export function whyUnreadable(root: string, file: string): Diagnostic | undefined {
  const abs = path.join(root, file);
  let code: string | undefined;
  const entry = lstatSync(abs, { throwIfNoEntry: false });
  if (!entry) return undefined;
  try {
    if (statSync(abs).isDirectory()) return undefined;
    readFileSync(abs);
    return undefined; // readable after all: changed in between, and the next pass reads it
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code;
  }
  const target = entry.isSymbolicLink() ? linkText(abs) : undefined;
  if (code === 'ENOENT' && target === undefined) return undefined; // removed in between
  const [message, hint] = code === 'ENOENT'
    ? [`the file is a symlink to "${target}", which does not exist`, 'create the file it points to, or remove the link']
    : code === 'ELOOP'
      ? ['the file is a symlink that leads back to itself (a loop of links)', 'point the link at a file, or replace it with the file']
      : code === 'EACCES' || code === 'EPERM'
        ? ['the file cannot be read: permission denied', 'let the user agent-hub runs as read it (chmod a+r)']
        : [`the file cannot be read (${code ?? 'unknown error'})`, 'check the file and the directories above it'];
  return { file, line: 1, column: 1, path: '', message, hint, severity: 'error', rule: 'file' };
}

function linkText(abs: string): string | undefined {
  try {
    return readlinkSync(abs);
  } catch {
    return undefined; // replaced in between
  }
}
