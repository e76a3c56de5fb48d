import { closeSync, openSync, writeSync } from 'node:fs';

/** Fills the file system holding `file` until not one more 4 KB block fits (a full disk, for the tests that mount a small tmpfs). */
export function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
