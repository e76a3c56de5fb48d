import { existsSync } from 'node:fs';
import path from 'node:path';
import { dbPath, openDb, type Db } from '../registry/db.js';
import { repoRoot } from '../spec/load.js';
import { UserError } from './errors.js';
import { HubConfigError, loadHubConfig, requireHubConfig, type HubConfig } from '../spec/hub-config.js';

/** hub.yaml of a repository, or a UserError listing its problems. */
export function hubConfigOrFail(root: string): HubConfig {
  try {
    return requireHubConfig(root);
  } catch (err) {
    if (err instanceof HubConfigError) throw new UserError(err.message);
    throw err;
  }
}

/** The hub repository a command works on (`--repo`, default the current directory). */
export function resolveRepo(dir: string | undefined): string {
  const abs = path.resolve(dir ?? '.');
  if (!existsSync(abs)) throw new UserError(`${abs}: no such directory (pass --repo DIR, or run agent-hub init ${dir ?? '.'})`);
  return repoRoot(abs);
}

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
  const [{ readSnapshot, restoreInto }, { stateTarget }, { RUNS_DIR }] = await Promise.all([
    import('../gitstate/restore.js'), import('../gitstate/state.js'), import('../gitstate/records.js'),
  ]);
  const db = openDb(':memory:');
  const target = stateTarget(root, loadHubConfig(root).config);
  const snapshot = await readSnapshot(target).catch(() => null); // not a git repository: nothing committed
  if (!snapshot) return { db, fromGit: false };
  await restoreInto(db, snapshot, target.stateFiles(RUNS_DIR));
  return { db, fromGit: true };
}
