import { randomBytes } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { close, fdatasync, open, rename, writeFile } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { UserError } from '../core/errors.js';

// Not defined on Windows, where symlinks need privileges to create: the lstat walk still applies.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A write the hub refused or could not finish; the message names the path and why. */
export class OutputWriteError extends UserError {}

/**
 * Writes `content` at repository-relative `rel` (already allowed by outputPathRefusal)
 * without ever following a symlink, and all or nothing:
 * - each directory from the root down is checked with lstat and created when missing; a
 *   symlink (or a file) on the way is refused, as is a symlink at the file itself;
 * - the content goes to a new temporary file in the same directory, opened with
 *   O_CREAT|O_EXCL|O_NOFOLLOW, is flushed to disk (fdatasync: the data and the size, what
 *   reading it back needs), and only then renamed over the target: a full disk or a crash
 *   leaves the old file (or none), never a truncated one.
 * Node has no openat(), so a directory swapped for a symlink between the walk and the
 * open is caught by comparing the directory's real path after writing (and the temporary
 * file is removed); a swap in the instant between that check and the rename is not.
 */
export function writeWithoutLinks(root: string, rel: string, content: string | Uint8Array): void {
  const t = target(root, rel);
  const fd = openSync(t.tmp, TMP_FLAGS, 0o666);
  try {
    try {
      writeFileSync(fd, content);
      fdatasyncSync(fd); // a delayed allocation failure (ENOSPC) shows here, before the rename
    } finally {
      closeSync(fd);
    }
    sameDir(root, rel, t);
    renameSync(t.tmp, t.file);
  } catch (err) {
    rmSync(t.tmp, { force: true });
    throw err;
  }
}

/**
 * writeWithoutLinks with the slow part on the thread pool: the directory walk is done here
 * (a few lstat calls), the open, write, flush and rename are not, so a flush that takes
 * milliseconds does not stop the event loop. Just as durable: resolved once the file is on
 * disk under its name. Through the callback API on a plain descriptor: a FileHandle (the
 * promise API) cost the event loop about four times as much for the same five calls.
 */
export async function writeWithoutLinksAsync(root: string, rel: string, content: string | Uint8Array): Promise<void> {
  const t = target(root, rel);
  const fd = await openFile(t.tmp, TMP_FLAGS, 0o666);
  try {
    try {
      await writeFd(fd, content);
      await datasync(fd);
    } finally {
      await closeFd(fd);
    }
    sameDir(root, rel, t);
    await renameFile(t.tmp, t.file);
  } catch (err) {
    await rm(t.tmp, { force: true });
    throw err;
  }
}

const openFile = promisify(open);
const writeFd = promisify(writeFile);
const datasync = promisify(fdatasync);
const closeFd = promisify(close);
const renameFile = promisify(rename);

const TMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

interface Target {
  dir: string;
  parts: string[];
  file: string;
  tmp: string;
}

/** The checks before writing: every directory walked down with lstat (created when missing), the file itself. */
function target(root: string, rel: string): Target {
  const parts = rel.split('/');
  const name = parts.pop() as string;
  let dir = root;
  for (const [i, part] of parts.entries()) {
    dir = path.join(dir, part);
    const here = parts.slice(0, i + 1).join('/');
    let st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st) {
      try {
        mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = lstatSync(dir);
    }
    if (st.isSymbolicLink()) throw new OutputWriteError(`"${here}" is a symlink; the hub never writes through one`);
    if (!st.isDirectory()) throw new OutputWriteError(`"${here}" is a file, not a directory`);
  }
  const file = path.join(dir, name);
  const existing = lstatSync(file, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) throw new OutputWriteError(`"${rel}" is a symlink; the hub never replaces one`);
  if (existing && !existing.isFile()) throw new OutputWriteError(`"${rel}" exists and is not a regular file`);
  return { dir, parts, file, tmp: path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.agent-hub-tmp`) };
}

/** The directory written in is still the one walked: not swapped for a symlink meanwhile. */
function sameDir(root: string, rel: string, t: Target): void {
  // The native call: one realpath(3) each, not a JS lstat walk of every component.
  if (realpathSync.native(t.dir) !== path.join(realpathSync.native(root), ...t.parts)) {
    throw new OutputWriteError(`a directory on "${rel}" was replaced by a symlink while writing; nothing written`);
  }
}
