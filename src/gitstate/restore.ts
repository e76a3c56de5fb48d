import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { asyncTransaction, dbPath, openDb, type Db } from '../registry/db.js';
import { putExecution } from '../registry/executions.js';
import { markRestored } from '../registry/git-outbox.js';
import type { HubConfig } from '../spec/hub-config.js';
import { parseRunRecord, REGISTRY_DIR, RUNS_DIR } from './records.js';
import { loadSnapshot } from './snapshot.js';
import { connectorCount, registryChanged } from '../registry/connectors.js';
import { stateTarget } from './state.js';
import type { StateFile, StateTarget } from './targets.js';
import { UserError } from '../core/errors.js';

export interface RestoreResult {
  connectors: number;
  runs: number;
  /** Run files that could not be read back, each with why; the rest is restored. */
  skipped: Array<{ path: string; error: string }>;
  /** Where the database that was there before went, if there was one. */
  previous?: string;
}

/** The registry snapshot committed under state/registry/, or null when there is none. */
export async function readSnapshot(target: StateTarget): Promise<Map<string, string> | null> {
  const files = new Map<string, string>();
  for await (const f of target.stateFiles(REGISTRY_DIR)) files.set(f.path, f.text);
  return files.has(`${REGISTRY_DIR}/meta.json`) ? files : null;
}

/**
 * Rebuilds `.agent-hub/hub.db` from the committed state: the registry snapshot, then every
 * run record. An existing database is moved aside, never deleted.
 */
export async function restore(root: string, config: HubConfig, now = new Date()): Promise<RestoreResult> {
  const target = stateTarget(root, config);
  const snapshot = await readSnapshot(target);
  if (!snapshot) throw new UserError(`no registry snapshot under ${REGISTRY_DIR}/${config.state?.branch ? ` on branch ${config.state.branch}` : ''}: nothing to restore from`);
  const file = dbPath(root);
  let previous: string | undefined;
  if (existsSync(file)) {
    previous = `${file}.${now.toISOString().replace(/[:.]/g, '-')}.bak`;
    renameSync(file, previous);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, previous + ext);
  }
  const db = openDb(file);
  try {
    return { ...(await restoreFromTarget(db, snapshot, target)), ...(previous ? { previous } : {}) };
  } finally {
    db.close();
  }
}

/** A restore for real (not a read): the target's run records, and the run files it has not committed are queued. */
export async function restoreFromTarget(db: Db, snapshot: ReadonlyMap<string, string>, target: StateTarget): Promise<Omit<RestoreResult, 'previous'>> {
  return restoreInto(db, snapshot, target.stateFiles(RUNS_DIR), await target.uncommitted());
}

/**
 * Loads committed state (the snapshot, then run records as they are read) into an empty,
 * migrated database, in one transaction. A run file that cannot be read back is skipped
 * and reported; it stays in git, and a later restore takes it once it is fixed.
 */
export async function restoreInto(db: Db, snapshot: ReadonlyMap<string, string>, runFiles: AsyncIterable<StateFile>, uncommitted: readonly string[] = []): Promise<Omit<RestoreResult, 'previous'>> {
  let runs = 0;
  const skipped: RestoreResult['skipped'] = [];
  registryChanged(db);
  // Run files arrive asynchronously; nothing else uses this database yet.
  await asyncTransaction(db, async () => {
    loadSnapshot(db, snapshot);
    for await (const f of runFiles) {
      if (!f.path.endsWith('.json')) continue;
      try {
        putExecution(db, parseRunRecord(f.text));
        runs++;
      } catch (err) {
        skipped.push({ path: f.path, error: (err as Error).message });
      }
    }
    // What was read is committed, except the run files a crash left uncommitted: those are queued.
    // (Without the stamp, the next start would write and commit every restored record again.)
    const broken = new Set(skipped.map((k) => k.path));
    const queued = uncommitted.filter((p) => p.startsWith(`${RUNS_DIR}/`) && p.endsWith('.json') && !broken.has(p));
    markRestored(db, queued.map((p) => ({ path: p, runId: path.basename(p, '.json') })));
  });
  return { connectors: connectorCount(db), runs, skipped };
}
