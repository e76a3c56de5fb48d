import { existsSync } from 'node:fs';
import path from 'node:path';
import { dbPath, openDb, type Db } from '../registry/db.js';
import { CONNECTORS_DIR, repoRoot } from '../spec/load.js';
import { HUB_FILE } from '../spec/hub-file.js';
import { UserError } from '../core/errors.js';
import { loadHubConfig } from '../spec/hub-config.js';

/**
 * The hub repository a command works on (`--repo`, default the current directory). A
 * directory with neither `connectors/` nor `hub.yaml` is refused before anything is
 * read or created in it (no `.agent-hub/` appears in a directory that is not a hub).
 */
export function resolveRepo(dir: string | undefined): string {
  const abs = path.resolve(dir ?? '.');
  if (!existsSync(abs)) throw new UserError(`${abs}: no such directory (pass --repo DIR, or run agent-hub init ${dir ?? '.'})`);
  const root = repoRoot(abs);
  if (!isHub(root)) {
    const hub = enclosingHub(root);
    // `agent-hub init` here would make a hub inside the hub (connectors/connectors/…).
    if (hub) throw new UserError(`${root} is not an agent-hub repository: it is inside the hub ${hub}; run agent-hub there, or pass --repo ${hub}`);
    const init = dir === undefined ? 'agent-hub init' : `agent-hub init ${dir}`;
    throw new UserError(`${root} is not an agent-hub repository: no ${CONNECTORS_DIR}/ or ${HUB_FILE}; run \`${init}\` to make it one, or pass --repo DIR`);
  }
  return root;
}

function isHub(dir: string): boolean {
  return existsSync(path.join(dir, CONNECTORS_DIR)) || existsSync(path.join(dir, HUB_FILE));
}

/** The nearest directory above `dir` that is a hub, if any: where a command run in connectors/ was meant to go. */
function enclosingHub(dir: string): string | undefined {
  for (let up = path.dirname(dir); up !== dir; dir = up, up = path.dirname(up)) {
    if (isHub(up)) return up;
  }
  return undefined;
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
  const [{ readSnapshot, restoreInto }, { stateTarget }, { RUNS_DIR }, { GitError }] = await Promise.all([
    import('../gitstate/restore.js'), import('../gitstate/state.js'), import('../gitstate/records.js'), import('../gitstate/git.js'),
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
