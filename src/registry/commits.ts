import type { Db } from './db.js';
import { registryChanged } from './connectors.js';

/** The commit each active connector's applied version is recorded with (null: applied from uncommitted files). */
export function recordedCommits(db: Db, o: { onlyUncommitted?: boolean } = {}): Map<string, string | null> {
  const rows = db.prepare(`SELECT id, git_commit FROM connectors WHERE active = 1 AND spec IS NOT NULL${o.onlyUncommitted ? ' AND git_commit IS NULL' : ''}`).all() as Array<{ id: string; git_commit: string | null }>;
  return new Map(rows.map((r) => [r.id, r.git_commit]));
}

/**
 * Records a new commit for connectors whose applied version is unchanged (their files were
 * committed since, or HEAD moved), so later runs and the committed snapshot name it. The
 * version history keeps what was known at apply. One transaction; returns how many changed.
 */
export function recordCommits(db: Db, commits: ReadonlyMap<string, string>): number {
  if (commits.size === 0) return 0;
  const connector = db.prepare('UPDATE connectors SET git_commit = ? WHERE id = ? AND active = 1');
  registryChanged(db);
  db.transaction(() => {
    for (const [id, sha] of commits) connector.run(sha, id);
  })();
  return commits.size;
}
