import type { Db } from '../registry/db.js';
import { MIGRATIONS } from '../registry/migrations.js';
import { dumpTables, loadTables } from '../registry/snapshot.js';
import { REGISTRY_DIR } from './records.js';

/**
 * The registry as files under state/registry/: one file a table (see registry/snapshot.ts)
 * and meta.json, which says which schema wrote them.
 */
export function snapshotFiles(db: Db): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, text] of dumpTables(db)) files.set(`${REGISTRY_DIR}/${file}`, text);
  files.set(`${REGISTRY_DIR}/meta.json`, `${JSON.stringify({ format: 1, schemaVersion: MIGRATIONS.length }, null, 2)}\n`);
  return files;
}

/** Loads snapshot files into a freshly migrated database (inside the caller's transaction). */
export function loadSnapshot(db: Db, files: ReadonlyMap<string, string>): void {
  loadTables(db, (file) => files.get(`${REGISTRY_DIR}/${file}`));
}
