import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
 *   O_CREAT|O_EXCL|O_NOFOLLOW, is flushed to disk, and only then renamed over the target:
 *   a full disk or a crash leaves the old file (or none), never a truncated one.
 * Node has no openat(), so a directory swapped for a symlink between the walk and the
 * open is caught by comparing the directory's real path after writing (and the temporary
 * file is removed); a swap in the instant between that check and the rename is not.
 */
export function writeWithoutLinks(root: string, rel: string, content: string | Uint8Array): void {
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

  const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.agent-hub-tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o666);
  try {
    try {
      writeFileSync(fd, content);
      fsyncSync(fd); // a delayed allocation failure (ENOSPC) shows here, before the rename
    } finally {
      closeSync(fd);
    }
    if (realpathSync(dir) !== path.join(realpathSync(root), ...parts)) {
      throw new OutputWriteError(`a directory on "${rel}" was replaced by a symlink while writing; nothing written`);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
