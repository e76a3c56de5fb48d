import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';

/**
 * What is at `abs` (through links; the entry itself with `lstat`), or nothing: missing, or
 * not reachable (a loop of links, a file on the way). Never throws: the watcher asks in its
 * events, where a throw would end the process.
 */
export function infoAt(abs: string, lstat = false) {
  try {
    return lstat ? lstatSync(abs, { throwIfNoEntry: false }) : statSync(abs, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** A directory's entries with their types; none when it is gone or cannot be read. */
export function entriesOf(abs: string): Dirent[] {
  try {
    return readdirSync(abs, { withFileTypes: true });
  } catch {
    return [];
  }
}
