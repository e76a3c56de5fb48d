import type { Logger } from '../log/logger.js';
import { repoPaths } from './git.js';
import { pathsOverTrackedLinks } from './trees.js';
import { symlinkOnPath } from '../spec/paths.js';

/**
 * The queued files without the saveTo outputs whose commit on `ref` would replace a
 * tracked symlink (a person turned it into a directory in the work tree, or the state
 * branch differs): each is logged and handed to `drop` (taken off the queue), and the
 * rest of the commit goes on. Run records are left to treeWith, which refuses the commit.
 */
export async function withoutOutputsOverLinks<T extends { path: string; kind: string }>(root: string, ref: string | null, pending: T[], drop: (path: string) => void, log: Logger): Promise<T[]> {
  const outputs = pending.filter((p) => p.kind === 'output');
  if (!outputs.length) return pending;
  const refused = new Map<string, string>();
  // In the work tree: a symlink put at (or above) an output after it was written would make
  // the commit read whatever it points to, a file outside the repository included.
  for (const p of outputs) {
    const link = symlinkOnPath(root, p.path);
    if (link) refused.set(p.path, `"${link.at}" is a symlink in the work tree (to ${link.target}), and the hub reads no output through one`);
  }
  if (ref) {
    const { prefix } = await repoPaths(root);
    const tracked = await pathsOverTrackedLinks(root, ref, outputs.map((p) => `${prefix}${p.path}`));
    for (const p of outputs) {
      const why = tracked.get(`${prefix}${p.path}`);
      if (why && !refused.has(p.path)) refused.set(p.path, why);
    }
  }
  if (!refused.size) return pending;
  return pending.filter((p) => {
    const why = p.kind === 'output' ? refused.get(p.path) : undefined;
    if (!why) return true;
    log.error({ file: p.path }, `output not committed: ${why}; the file stays in the work tree (commit it yourself if that is meant, or change output.saveTo)`);
    drop(p.path);
    return false;
  });
}
