import { createHash, hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

// What the loader knows a connector file by: its bytes, its stat key (size, mtime, inode: an
// unchanged one is not even read again) and its source hash (the cache key of its check).

/** A file's bytes, or undefined when it is missing or unreadable. */
export function readOrMissing(abs: string): Uint8Array | undefined {
  try {
    return readFileSync(abs);
  } catch {
    return undefined;
  }
}

/** A file's bytes and its stat key (as statFiles gives it), from one open: what readFileSync does, plus keeping the fstat. */
export function readWithKey(abs: string): { bytes: Uint8Array; key: string } | undefined {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const bytes = Buffer.allocUnsafe(st.size);
    let n = 0;
    for (let got = -1; n < st.size && got !== 0; n += got) got = readSync(fd, bytes, n, st.size - n, null);
    return { bytes: n < st.size ? bytes.subarray(0, n) : bytes, key: statKeyOf(st) };
  } catch {
    return undefined; // a directory, or unreadable: as readOrMissing says
  } finally {
    closeSync(fd);
  }
}

const statKeyOf = (st: Stats) => `${st.size}:${st.mtimeMs}:${st.ino}`;

/** Size, mtime and inode of a file and its dependencies, and the newest mtime among them. */
export function statFiles(root: string, files: readonly string[]): { key: string; newestMs: number } {
  let newestMs = 0;
  const key = files.map((f) => {
    const st = statSync(path.join(root, f), { throwIfNoEntry: false });
    if (!st) return 'missing';
    newestMs = Math.max(newestMs, st.mtimeMs);
    return statKeyOf(st);
  });
  return { key: key.join('|'), newestMs };
}

/** The cache key of a file: the repository-wide digest, its bytes and its dependencies' bytes (also reconcile/changed.ts's). */
export function sourceHash(root: string, digest: string, bytes: Uint8Array, deps: readonly string[]): string {
  // Most files have no deps: one buffer hashed in one call (crypto.hash), the same bytes as the updates below.
  if (deps.length === 0) return hash('sha256', Buffer.concat([Buffer.from(`${digest}\0`), bytes]), 'hex');
  const h = createHash('sha256').update(digest).update('\0').update(bytes);
  for (const dep of deps) {
    const content = readOrMissing(path.join(root, dep));
    h.update(`\0dep\0${dep}\0`).update(content ?? '\0missing\0');
  }
  return h.digest('hex');
}
