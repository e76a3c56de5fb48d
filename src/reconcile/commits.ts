import type { Db } from '../registry/db.js';
import { recordCommits, recordedCommits } from '../registry/commits.js';
import { partialsUsed } from '../registry/status.js';
import { PARTIALS_DIR } from '../spec/load.js';
import type { ReconcileResult } from './reconcile.js';
import { mayBeInGit } from './git-presence.js';

/**
 * After a reconcile: each connector now in line with its files gets, as its recorded
 * commit, the commit that last touched those files (its YAML, prompt file, partials) when
 * all are committed unchanged. So "(uncommitted)" goes once the files are committed, and
 * the commit follows HEAD, without the connector changing. `onlyUncommitted`: look only at
 * connectors recorded without a commit (cheap enough for every CLI apply). Returns how many
 * were updated.
 */
export async function followCommits(root: string, db: Db, result: ReconcileResult, o: { onlyUncommitted?: boolean } = {}): Promise<number> {
  if (result.blocking.length || !mayBeInGit(root)) return 0;
  // A command's apply looks only at connectors recorded as uncommitted: with none, git is not asked.
  const recorded = recordedCommits(db, o);
  if (recorded.size === 0) return 0;
  const files = new Map<string, string[]>();
  // Connectors this reconcile just created or updated got their commit from the same work tree
  // moments ago: a command's apply looks again only at the unchanged ones.
  const justApplied = o.onlyUncommitted === true && result.applied;
  for (const a of result.plan.actions) {
    const looked = a.kind === 'unchanged' || ((a.kind === 'create' || a.kind === 'update') && !justApplied);
    if (looked && recorded.has(a.id)) files.set(a.id, [a.file.path, ...(result.desired.deps.get(a.file.path) ?? [])]);
  }
  if (files.size === 0) return 0;
  const partials = partialsUsed(db, [...files.keys()]);
  const groups = new Map([...files].map(([id, f]) => [id, [...f, ...(partials.get(id) ?? []).map((n) => `${PARTIALS_DIR}/${n}.hbs`)]]));
  // git is asked (and its module loaded) only when there are connectors to look up.
  const { lastCommits } = await import('../gitstate/file-commits.js');
  const live = await lastCommits(root, groups);
  if (!live) return 0; // not a git repository, or no commit yet
  const changed = new Map<string, string>();
  for (const [id, sha] of live) if (sha && recorded.has(id) && recorded.get(id) !== sha) changed.set(id, sha);
  return recordCommits(db, changed);
}
