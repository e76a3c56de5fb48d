import { existsSync } from 'node:fs';
import { dbPath, openDb, type Db } from '../registry/db.js';

export { resolveRepo } from './repo-root.js';

/** Opens the registry, creating and migrating it as needed. */
export function openRegistry(root: string): Db {
  return openDb(dbPath(root));
}

/** Opens the registry if it exists; an empty in-memory one otherwise (nothing applied yet). */
export function openRegistryOrEmpty(root: string): Db {
  return existsSync(dbPath(root)) ? openDb(dbPath(root)) : openDb(':memory:');
}

/** Said on stderr when a command read the committed state instead of a local database. */
export const FROM_GIT_NOTE = '(no local registry here: read from the state committed in git; agent-hub restore builds one)\n';

/**
 * The registry to read runs from: the local database, or where there is none (a clone on a
 * laptop) the committed state — the checked-out branch's or `state.branch`'s — read into
 * memory, changing nothing on disk. `fromGit` says which.
 */
export async function openRunRegistry(root: string): Promise<{ db: Db; fromGit: boolean }> {
  if (existsSync(dbPath(root))) return { db: openDb(dbPath(root)), fromGit: false };
  // Git state is loaded only here: the commands that never read it (validate, apply…) start without git's modules.
  const [{ readSnapshot, restoreInto }, { stateTarget }, { RUNS_DIR }, { GitError }, { loadHubConfig }] = await Promise.all([
    import('../gitstate/restore.js'), import('../gitstate/state.js'), import('../gitstate/records.js'), import('../gitstate/git.js'), import('../spec/hub-config.js'),
  ]);
  const db = openDb(':memory:');
  const target = stateTarget(root, loadHubConfig(root).config);
  // Not a git repository, or no state branch to read: nothing committed. Anything else is a bug, not "no state".
  const snapshot = await readSnapshot(target).catch((err: unknown) => {
    if (err instanceof GitError) return null;
    throw err;
  });
  if (!snapshot) return { db, fromGit: false };
  await restoreInto(db, snapshot, target.stateFiles(RUNS_DIR));
  return { db, fromGit: true };
}
