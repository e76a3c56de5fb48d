import type { Logger } from '../log/logger.js';
import { repoPaths } from './git.js';
import { pathsOverTrackedLinks } from './trees.js';

/**
 * The queued files without the saveTo outputs whose commit on `ref` would replace a
 * tracked symlink (a person turned it into a directory in the work tree, or the state
 * branch differs): each is logged and handed to `drop` (taken off the queue), and the
 * rest of the commit goes on. Run records are left to treeWith, which refuses the commit.
 */
export async function withoutOutputsOverLinks<T extends { path: string; kind: string }>(root: string, ref: string | null, pending: T[], drop: (path: string) => void, log: Logger): Promise<T[]> {
  const outputs = pending.filter((p) => p.kind === 'output');
  if (!ref || !outputs.length) return pending;
  const { prefix } = await repoPaths(root);
  const refused = await pathsOverTrackedLinks(root, ref, outputs.map((p) => `${prefix}${p.path}`));
  if (!refused.size) return pending;
  return pending.filter((p) => {
    const why = p.kind === 'output' ? refused.get(`${prefix}${p.path}`) : undefined;
    if (!why) return true;
    log.error({ file: p.path }, `output not committed: ${why}; the file stays in the work tree (commit it yourself if that is meant, or change output.saveTo)`);
    drop(p.path);
    return false;
  });
}
